"""The platform converges after any one process is killed with SIGKILL mid-load.

The launcher's own supervision (:meth:`services.launcher.Platform.supervise_once`, the
loop ``atr up`` runs) watches the session platform from a task on the test's event loop. For each
process in turn — vouchers, one claim worker, eligibility, payments, reporting, the
gateway — claims are posted through the gateway (retried on connection errors and 5xx:
the gateway may be the one killed; a retry is safe, intake is idempotent by claim_ref),
the process is SIGKILLed mid-load, the supervisor must restart it and see it ready, and
then: every accepted claim is decided exactly once (one row, one adjudication event,
a final status through the gateway) and every voucher's used units equal the units
allowed on its claims.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.load import rows
from services.payments.service_layer.ledger import check_ledger
from tests.infrastructure import wait_until
from tests.integration.actors import (
    grant,
    offer_choices,
    register_provider,
    selection_pending,
    utc_today,
)
from tests.integration.conftest import RunningPlatform

MENTORING = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-CR1", "credentials": ["addictions_academy_graduate"]}
PROVIDER = "PRV-CRASH"
VOUCHERS = 10
PER_ROUND = 150
KILL_AFTER = 40
"""Claims accepted before the victim is killed; the rest are posted while it is down."""
UNITS = 2
CONVERGE_S = 120.0
"""A SIGKILLed group member is replaced only after the session timeout (6 s here), and
heavy join/leave churn has left partitions idle for up to ~30 s (docs/embedded-broker.md)."""
VICTIMS = ["vouchers", "claims", "eligibility", "payments", "reporting", "gateway"]
FINAL = {"approved", "partially_approved", "denied"}


class Supervisor:
    """``atr up``'s loop over ``supervise_once``, with the console kept.

    It runs as a task on the test's event loop, in the main thread, as ``atr up`` runs it:
    children are bound to the *thread* that spawned them (``PR_SET_PDEATHSIG``), so a
    supervisor thread that ends would take every process it restarted with it.
    """

    def __init__(self, running: RunningPlatform) -> None:
        self.platform = running.platform
        self.said: list[str] = []
        self.failures: list[BaseException] = []
        self._task: asyncio.Task[None] | None = None

    def _say(self, message: str) -> None:
        self.said.append(message)
        print(f"[supervisor] {message}", file=sys.stderr, flush=True)

    async def _loop(self) -> None:
        while True:
            try:
                self.platform.supervise_once()
            except Exception as exc:  # the test reports it; the loop must not die silently
                self.failures.append(exc)
                return
            await asyncio.sleep(0.2)

    async def __aenter__(self) -> Supervisor:
        self._previous = self.platform.console
        self.platform.console = self._say
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.platform.console = self._previous


@pytest.fixture(scope="module")
async def supervisor(platform: RunningPlatform) -> AsyncIterator[Supervisor]:
    async with Supervisor(platform) as running:
        yield running


@pytest.fixture(scope="module")
async def crash_network(platform: RunningPlatform) -> dict[str, Any]:
    """A provider, its tokens and ten active vouchers with plenty of units."""
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-CR")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        made = await asyncio.gather(
            *(_voucher(gateway, assessor, provider, n) for n in range(VOUCHERS))
        )
    return {"assessor": assessor, "provider": provider, "vouchers": dict(made)}


@pytest.fixture(scope="module")
def ledger() -> dict[str, str]:
    """Every accepted claim of the module: claim id → voucher id."""
    return {}


async def _voucher(
    gateway: httpx.AsyncClient, assessor: dict[str, str], provider: dict[str, str], n: int
) -> tuple[str, str]:
    client_id = f"CL-CRASH-{n:03d}"
    created = await gateway.post(
        "/v1/vouchers",
        json={
            "client_id": client_id,
            "assessed_on": (utc_today() - timedelta(days=90)).isoformat(),
            "authorized_services": [{"service_code": MENTORING, "units": 2000}],
        },
        headers=assessor,
    )
    assert created.status_code == 201, created.text
    voucher_id = created.json()["voucher_id"]
    await offer_choices(gateway, assessor, client_id, [MENTORING])

    async def selected() -> bool:
        answer = await gateway.post(
            f"/v1/vouchers/{voucher_id}/selection", json={"provider_id": PROVIDER}, headers=assessor
        )
        if selection_pending(answer):
            return False
        assert answer.status_code == 200, answer.text
        return True

    await wait_until(selected, timeout_s=120)
    admitted = await gateway.post(
        f"/v1/vouchers/{voucher_id}/admission",
        json={"admitted_on": (utc_today() - timedelta(days=60)).isoformat()},
        headers=provider,
    )
    assert admitted.status_code == 200, admitted.text
    return client_id, voucher_id


def claim_lines(round_no: int, vouchers: dict[str, str]) -> list[dict[str, Any]]:
    """``PER_ROUND`` lines spread over the vouchers; each (client, date, time) once."""
    clients = sorted(vouchers)
    lines = []
    for k in range(PER_ROUND):
        client_id = clients[k % len(clients)]
        slot = round_no * (PER_ROUND // len(clients)) + k // len(clients)
        hour = 6 + slot // 50
        lines.append(
            {
                "claim_ref": f"CR-{round_no}-{k}",
                "provider_id": PROVIDER,
                "client_id": client_id,
                "voucher_id": vouchers[client_id],
                "service_code": MENTORING,
                "service_date": (utc_today() - timedelta(days=1 + slot % 50)).isoformat(),
                "units": UNITS,
                "staff_id": STAFF["staff_id"],
                "start_time": f"{hour:02d}:00:00",
                "end_time": f"{hour:02d}:30:00",
                "client_signature": True,
                "face_to_face": True,
            }
        )
    return lines


async def post_retrying(
    gateway: httpx.AsyncClient, line: dict[str, Any], provider: dict[str, str]
) -> str:
    """Post one line until the gateway answers 202 (it may be down for a while)."""
    deadline = asyncio.get_running_loop().time() + CONVERGE_S
    while True:
        try:
            answer = await gateway.post("/v1/claims", json=line, headers=provider)
            if answer.status_code == 202:
                claim_id: str = answer.json()["claim_id"]
                return claim_id
            assert answer.status_code >= 500, answer.text  # anything else is a real refusal
        except httpx.TransportError:
            pass
        assert asyncio.get_running_loop().time() < deadline, f"{line['claim_ref']} never accepted"
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("round_no", range(len(VICTIMS)), ids=VICTIMS)
async def test_a_process_killed_mid_load_is_restarted_and_nothing_is_lost_or_doubled(
    platform: RunningPlatform,
    supervisor: Supervisor,
    crash_network: dict[str, Any],
    ledger: dict[str, str],
    round_no: int,
) -> None:
    victim = VICTIMS[round_no]
    launcher = platform.platform
    assert victim in launcher.processes
    lines = claim_lines(round_no, crash_network["vouchers"])
    provider = crash_network["provider"]
    accepted: dict[str, str] = {}
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for line in lines:
        queue.put_nowait(line)

    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:

        async def poster() -> None:
            while not queue.empty():
                line = queue.get_nowait()
                accepted[await post_retrying(gateway, line, provider)] = line["voucher_id"]

        posting = asyncio.gather(*(poster() for _ in range(4)))

        async def under_load() -> bool:
            return len(accepted) >= KILL_AFTER

        await wait_until(under_load, timeout_s=60)
        old = launcher.processes[victim]
        os.kill(old.pid, signal.SIGKILL)
        at_kill = len(accepted)

        async def restarted_and_ready() -> bool:
            assert not supervisor.failures, supervisor.failures
            current = launcher.processes[victim]
            return (
                current.pid != old.pid
                and current.poll() is None
                and victim not in launcher.recovering()
            )

        await wait_until(restarted_and_ready, timeout_s=CONVERGE_S, interval_s=0.2)
        await posting
    assert queue.empty()
    assert at_kill < PER_ROUND  # the kill came mid-load
    assert len(accepted) == PER_ROUND  # one claim id per line, none shared
    assert old.poll() == -signal.SIGKILL
    assert any(f"{victim} died (killed by SIGKILL); restarting" in m for m in supervisor.said)
    assert any(m.startswith(f"{victim} restarted (pid ") for m in supervisor.said)
    assert any(m.startswith(f"{victim} is ready again") for m in supervisor.said)
    ledger.update(accepted)

    decided = await _all_decided(platform, set(ledger))
    await _one_decision_event_each(platform, set(ledger))
    await _final_through_the_gateway(platform, provider, accepted, decided)
    await _balances_match(platform, crash_network, ledger, decided)
    await _payments_once_and_sound(platform, set(ledger))
    assert not supervisor.failures, supervisor.failures


async def _payments_once_and_sound(platform: RunningPlatform, claim_ids: set[str]) -> None:
    """Payments has one decision for every claim (funded, unfunded or denied: nothing
    lost, nothing twice) and its ledger's invariants hold (SPEC §3.5)."""
    url = platform.database_urls["payments"]

    async def recorded() -> list[tuple[Any, ...]] | None:
        found = await rows(url, "SELECT claim_id FROM fundings WHERE provider_id = :p", p=PROVIDER)
        mine = [r for r in found if r[0] in claim_ids]
        return mine if len(mine) >= len(claim_ids) else None

    found = await wait_until(recorded, timeout_s=CONVERGE_S, interval_s=0.5)
    assert sorted(r[0] for r in found) == sorted(claim_ids)  # one row per claim
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            problems = await check_ledger(session)
    finally:
        await engine.dispose()
    assert problems == [], problems


async def _all_decided(platform: RunningPlatform, claim_ids: set[str]) -> dict[str, int]:
    """Wait until every claim has its one row with a final status; → allowed units."""
    url = platform.database_urls["claims"]

    async def done() -> list[tuple[Any, ...]] | None:
        found = await rows(
            url,
            "SELECT claim_id, status, allowed_units FROM claims WHERE provider_id = :p",
            p=PROVIDER,
        )
        mine = [r for r in found if r[0] in claim_ids]
        finished = [r for r in mine if r[1] in FINAL]
        return mine if len(finished) == len(claim_ids) else None

    decided: list[tuple[Any, ...]] = await wait_until(done, timeout_s=CONVERGE_S, interval_s=0.5)
    per_claim = Counter(r[0] for r in decided)
    assert set(per_claim) == claim_ids
    assert set(per_claim.values()) == {1}  # exactly one row per claim
    return {r[0]: r[2] for r in decided}


async def _one_decision_event_each(platform: RunningPlatform, claim_ids: set[str]) -> None:
    """The claims outbox holds exactly one adjudication event per claim."""
    found = await rows(
        platform.database_urls["claims"],
        "SELECT convert_from(payload, 'UTF8')::json -> 'data' ->> 'claim_id', count(*) "
        "FROM outbox WHERE event_type = 'atr.claim.adjudicated' GROUP BY 1",
    )
    events = {claim_id: count for claim_id, count in found if claim_id in claim_ids}
    assert set(events) == claim_ids, f"{len(claim_ids - set(events))} claims without an event"
    doubled = {c: n for c, n in events.items() if n != 1}
    assert doubled == {}


async def _final_through_the_gateway(
    platform: RunningPlatform,
    provider: dict[str, str],
    accepted: dict[str, str],
    decided: dict[str, int],
) -> None:
    """``GET /v1/claims/{id}`` shows each claim of the round decided, as stored."""
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:
        limit = asyncio.Semaphore(8)

        async def final(claim_id: str) -> None:
            async def answered() -> dict[str, Any] | None:
                async with limit:
                    try:
                        answer = await gateway.get(f"/v1/claims/{claim_id}", headers=provider)
                    except httpx.TransportError:
                        return None
                if answer.status_code != 200:
                    return None
                body: dict[str, Any] = answer.json()
                return body if body["status"] not in ("received", "pending") else None

            body = await wait_until(answered, timeout_s=CONVERGE_S, interval_s=0.5)
            assert body["status"] in FINAL
            assert body["allowed_units"] == decided[claim_id]
            assert body["allowed_units"] + body["denied_units"] == UNITS

        await asyncio.gather(*(final(claim_id) for claim_id in accepted))


async def _balances_match(
    platform: RunningPlatform,
    network: dict[str, Any],
    ledger: dict[str, str],
    decided: dict[str, int],
) -> None:
    """Each voucher's used units converge to the units allowed on its claims."""
    expected: dict[str, int] = defaultdict(int)
    for claim_id, voucher_id in ledger.items():
        expected[voucher_id] += decided[claim_id]
    assert sum(expected.values()) > 0
    seen: dict[str, int] = {}

    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:

        async def used(voucher_id: str) -> int | None:
            try:
                answer = await gateway.get(
                    f"/v1/vouchers/{voucher_id}", headers=network["assessor"]
                )
            except httpx.TransportError:
                return None
            if answer.status_code != 200:
                return None
            balances = {b["service_code"]: b for b in answer.json()["balances"]}
            units: int = balances[MENTORING]["used_units"]
            return units

        async def converged() -> bool:
            for voucher_id in network["vouchers"].values():
                units = await used(voucher_id)
                if units is None:
                    return False
                seen[voucher_id] = units
            return seen == dict(expected)

        try:
            await wait_until(converged, timeout_s=CONVERGE_S, interval_s=0.5)
        except AssertionError:
            raise AssertionError(f"used units {seen} ≠ allowed units {dict(expected)}") from None
