"""Two payments workers fund one fiscal year's last dollars on the real platform, and one
of them is SIGKILLed mid-load (SPEC §3.5 "Invariants at all times").

The session platform runs ``payments`` and ``payments-2`` (``ATR_PAYMENTS_WORKERS=2``),
one consumer group on ``atr.claims.adjudicated.v1`` (8 partitions, keyed by client), one
database. This test opens a fiscal year no other test uses (the previous one: its last
quarter gets a small allotment, the others nothing), posts 10.00 lines for sixteen
clients (so both workers get partitions with work) through the gateway, more than the
allotment pays for, waits until both workers have funded lines of it, SIGKILLs
``payments-2`` (the launcher's supervisor, as ``atr up`` runs it, restarts it) and posts
the rest while it is down and coming back. Then every line has exactly one funding
decision and one ``LineFunded`` event, the funded lines fill the allotment exactly (all
lines cost the same, so whole-or-nothing funding stops at exactly the allotment, never
beyond), the fiscal year's kept quarter sums equal the funded lines, and
:func:`~services.payments.service_layer.ledger.check_ledger` finds nothing.

Why it fails without the fiscal year's row lock (``load_years(..., lock=True)`` in
:mod:`services.payments.service_layer.funding`): each worker reads the quarter's sums,
decides its batch on them and writes them back. Unlocked, two workers funding at the
same time both decide on the same sums, and the one that commits second writes back sums
without the first's lines: the kept quarter sum then falls short of the funded lines
(``check_ledger``, and the obligated-equals-funded assertion here), and every later line
is funded against money already spent, so more lines are funded than the allotment pays
for (the exact-allotment assertion). With the lines of two workers arriving together for
the whole load, such an overlap is all but certain; ``tests/payments/test_funding_race.py``
forces one at the service layer.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from contracts.topics import CLAIMS_ADJUDICATED
from services.payments.domain.funding import fiscal_year_of, quarter_start
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
from tests.integration.test_crash_recovery import Supervisor, post_retrying, rows

PROVIDER = "PRV-PAYW"
MENTORING = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-PAYW", "credentials": ["addictions_academy_graduate"]}
CLIENTS = 16
PER_CLIENT = 20
LINES = CLIENTS * PER_CLIENT
LINE_AMOUNT = Decimal("10.00")
"""Two 15-minute units of individual recovery mentoring at 5.00."""
ALLOTMENT = Decimal("2000.00")
"""Pays for 200 of the 320 lines."""
FIRST_WAVE = LINES // 2
"""Lines posted before the kill; the rest are posted while the victim is down."""
VICTIM = "payments-2"
WORKERS = ("payments", VICTIM)
VALID_DAYS_USED = 350
"""A service voucher runs 365 days from its assessment; one assessed this long ago is
still open today (the scheduler would expire it otherwise)."""
CONVERGE_S = 180.0
"""A SIGKILLed group member is replaced only after the session timeout (6 s here), and
join/leave churn has left partitions idle for up to ~30 s (docs/embedded-broker.md)."""


def _dates() -> tuple[int, date, date]:
    """The previous fiscal year, and the first and last service day used in its last
    quarter (the current year is test_aa_payments_funding's)."""
    today = utc_today()
    year = fiscal_year_of(today) - 1
    first = max(quarter_start(year, 4), today - timedelta(days=VALID_DAYS_USED))
    last = date(year, 6, 30)
    if (last - first).days + 1 < PER_CLIENT:
        pytest.skip(f"in June no voucher still open today reaches {PER_CLIENT} days of FY{year}")
    return year, first, last


async def _voucher(
    gateway: httpx.AsyncClient,
    assessor: dict[str, str],
    provider: dict[str, str],
    client_id: str,
    assessed_on: date,
) -> str:
    created = await gateway.post(
        "/v1/vouchers",
        json={
            "client_id": client_id,
            "assessed_on": assessed_on.isoformat(),
            "authorized_services": [{"service_code": MENTORING, "units": 1000}],
        },
        headers=assessor,
    )
    assert created.status_code == 201, created.text
    voucher_id: str = created.json()["voucher_id"]
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
        json={"admitted_on": assessed_on.isoformat()},
        headers=provider,
    )
    assert admitted.status_code == 200, admitted.text
    return voucher_id


def _lines(vouchers: dict[str, str], first: date) -> list[dict[str, Any]]:
    """``PER_CLIENT`` lines per client on consecutive days, clients interleaved."""
    clients = sorted(vouchers)
    return [
        {
            "claim_ref": f"PW-{client_id}-{day}",
            "provider_id": PROVIDER,
            "client_id": client_id,
            "voucher_id": vouchers[client_id],
            "service_code": MENTORING,
            "service_date": (first + timedelta(days=day)).isoformat(),
            "units": 2,
            "staff_id": STAFF["staff_id"],
            "start_time": "09:00:00",
            "end_time": "09:30:00",
            "client_signature": True,
            "face_to_face": True,
        }
        for day in range(PER_CLIENT)
        for client_id in clients
    ]


async def _adjudicated(client: httpx.AsyncClient, url: str, counter: str) -> float:
    """One payments process's count of adjudicated events so far, from its ``/metrics``:
    ``processed`` (consumed and committed) or ``dead_lettered`` (set aside)."""
    answer = await client.get(f"{url}/metrics")
    assert answer.status_code == 200, answer.text
    prefix = f'atr_events_{counter}_total{{service="payments",topic="{CLAIMS_ADJUDICATED.name}"'
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in answer.text.splitlines()
        if line.startswith(prefix)
    )


async def test_two_payments_workers_fund_within_the_allotment_through_a_sigkill(
    platform: RunningPlatform,
) -> None:
    launcher = platform.platform
    assert set(WORKERS) <= set(launcher.processes), "the platform runs two payments workers"
    year, first, last = _dates()
    assert (last - first).days + 1 >= PER_CLIENT
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-PW")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        made = await asyncio.gather(
            *(
                _voucher(gateway, assessor, provider, f"CL-PW-{n:03d}", first)
                for n in range(CLIENTS)
            )
        )
        vouchers = {f"CL-PW-{n:03d}": voucher_id for n, voucher_id in enumerate(made)}
        opened = await gateway.post(
            "/v1/fiscal-years",
            json={"fiscal_year": year, "allotments": ["0.00", "0.00", "0.00", str(ALLOTMENT)]},
            headers=platform.admin,
        )
        assert opened.status_code == 201, f"FY{year} must be this test's alone: {opened.text}"

        lines = _lines(vouchers, first)
        accepted: list[str] = []
        killed = asyncio.Event()
        async with httpx.AsyncClient(timeout=10) as direct:

            async def counts(counter: str) -> dict[str, float]:
                return {
                    n: await _adjudicated(direct, launcher.url_for(n), counter) for n in WORKERS
                }

            before = await counts("processed")
            set_aside = await counts("dead_lettered")
            async with Supervisor(platform) as supervisor:
                queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
                for line in lines:
                    queue.put_nowait(line)
                second_wave = {line["claim_ref"] for line in lines[FIRST_WAVE:]}

                async def poster() -> None:
                    while not queue.empty():
                        line = queue.get_nowait()
                        if line["claim_ref"] in second_wave:
                            await killed.wait()
                        accepted.append(await post_retrying(gateway, line, provider))

                posting = asyncio.gather(*(poster() for _ in range(4)))

                async def both_funding() -> dict[str, float] | None:
                    done = await counts("processed")
                    took_part = all(done[n] > before[n] for n in WORKERS)
                    return done if took_part and len(accepted) >= FIRST_WAVE // 2 else None

                await wait_until(both_funding, timeout_s=CONVERGE_S, interval_s=0.2)
                old = launcher.processes[VICTIM]
                os.kill(old.pid, signal.SIGKILL)
                killed.set()

                async def restarted_and_ready() -> bool:
                    assert not supervisor.failures, supervisor.failures
                    current = launcher.processes[VICTIM]
                    return (
                        current.pid != old.pid
                        and current.poll() is None
                        and VICTIM not in launcher.recovering()
                    )

                await wait_until(restarted_and_ready, timeout_s=CONVERGE_S, interval_s=0.2)
                set_aside[VICTIM] = 0.0  # a new process counts from 0
                await posting
                assert not supervisor.failures, supervisor.failures
            assert old.poll() == -signal.SIGKILL
            assert any(f"{VICTIM} died (killed by SIGKILL)" in m for m in supervisor.said)
            assert any(m.startswith(f"{VICTIM} is ready again") for m in supervisor.said)
            assert len(accepted) == len(set(accepted)) == LINES

            async def dead_lettered() -> float:
                now = await counts("dead_lettered")
                return sum(now[n] - set_aside[n] for n in WORKERS)

            decided = await _one_decision_each(platform, set(accepted), dead_lettered)
        funds = await gateway.get(f"/v1/fiscal-years/{year}", headers=platform.admin)
        assert funds.status_code == 200, funds.text

    funded = [amount for ok, amount, _ in decided.values() if ok]
    exhausted = [reason for ok, _, reason in decided.values() if not ok]
    assert {amount for _, amount, _ in decided.values()} == {LINE_AMOUNT}  # all approved
    assert 0 < len(funded) < LINES  # only part could be funded
    assert set(exhausted) == {"FUNDS_EXHAUSTED"}
    total = sum(funded, Decimal("0.00"))
    assert total == ALLOTMENT, f"funded {total} from an allotment of {ALLOTMENT}"  # never beyond

    everything = await rows(
        platform.database_urls["payments"],
        "SELECT quarter, coalesce(sum(amount), 0) FROM fundings "
        "WHERE fiscal_year = :y AND funded GROUP BY quarter",
        y=year,
    )
    assert everything == [(4, ALLOTMENT)]  # no other line was funded from this year
    quarters = funds.json()["quarters"]
    assert [Decimal(q["obligated"]) for q in quarters] == [Decimal("0.00")] * 3 + [ALLOTMENT]
    assert Decimal(funds.json()["obligated"]) == ALLOTMENT
    assert Decimal(quarters[3]["left"]) == Decimal("0.00")

    engine = create_async_engine(platform.database_urls["payments"])
    try:
        async with AsyncSession(engine) as session:
            problems = await check_ledger(session)
    finally:
        await engine.dispose()
    assert problems == [], problems


async def _one_decision_each(
    platform: RunningPlatform,
    claim_ids: set[str],
    dead_lettered: Callable[[], Awaitable[float]],
) -> dict[str, tuple[bool, Decimal, str | None]]:
    """Wait until every claim has its funding row; check it has exactly one row and one
    ``LineFunded`` event in the outbox; → claim id → (funded, amount, reason). Fails at
    once when payments sets adjudicated events aside (a line that never gets a row)."""
    url = platform.database_urls["payments"]
    seen: list[tuple[Any, ...]] = []

    async def recorded() -> list[tuple[Any, ...]] | None:
        found = await rows(
            url,
            "SELECT claim_id, funded, amount, reason FROM fundings WHERE provider_id = :p",
            p=PROVIDER,
        )
        seen[:] = found
        set_aside = await dead_lettered()
        assert set_aside == 0, f"payments dead-lettered {set_aside:g} adjudicated events"
        return found if len(found) >= len(claim_ids) else None

    try:
        found = await wait_until(recorded, timeout_s=CONVERGE_S, interval_s=0.5)
    except AssertionError as exc:
        missing = len(claim_ids - {r[0] for r in seen})
        raise AssertionError(f"{missing} of {len(claim_ids)} lines undecided: {exc}") from None
    assert sorted(r[0] for r in found) == sorted(claim_ids)  # one row per claim
    events = await rows(
        url,
        "SELECT convert_from(payload, 'UTF8')::json -> 'data' ->> 'claim_id', count(*) "
        "FROM outbox WHERE event_type = 'atr.payment.line_funded' GROUP BY 1",
    )
    mine = {claim_id: count for claim_id, count in events if claim_id in claim_ids}
    assert set(mine) == claim_ids, f"{len(claim_ids - set(mine))} claims without LineFunded"
    assert {c: n for c, n in mine.items() if n != 1} == {}  # none decided twice
    return {r[0]: (r[1], r[2], r[3]) for r in found}
