"""Stop the whole one-machine platform mid-load and start it again: nothing lost, nothing
twice.

``atr up``'s :class:`~services.launcher.Platform` on its own data directory, as
``make up`` runs it: the embedded broker (events in memory) and the embedded
PostgreSQL. Claims are posted from another thread, four in flight, retried on
connection errors and 5xx (intake is idempotent by ``claim_ref``). Mid-load the whole
stack is stopped — gracefully (SIGTERM to every process, as Ctrl-C does) or by SIGKILL
of every process at once, the broker and PostgreSQL included, as a power cut would —
and started again on the same data directory. The launcher refills the new, empty
broker from the services' outboxes (services/kit/event_replay.py), then:

- every claim accepted before, during and after the stop is decided exactly once (one
  row, one adjudication event in the outbox and one on the topic, a final status
  through the gateway), funded once, and an invoice run pays each funded line dated
  before the month once;
- every voucher's used units equal the units allowed on its claims;
- the ledger's invariants hold;
- after one more stop and start (the replayed events replayed again), reporting's
  rebuild — every topic read from the beginning — gives the reports reporting had
  built incrementally before that restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from bench.load import Posting, rows
from contracts.claims import ClaimAdjudicated
from contracts.topics import CLAIMS_ADJUDICATED
from services.kit.database import Database
from services.kit.processes import free_port
from services.kit.schema import add_kit_tables
from services.kit.settings import SERVICES
from services.kit.unit_of_work import UnitOfWork
from services.launcher import Platform
from services.launcher_settings import LauncherSettings
from services.payments.domain.funding import fiscal_year_of
from services.reporting.adapters.orm import metadata as reporting_metadata
from services.reporting.service_layer.rebuild import rebuild
from tests.infrastructure import wait_until
from tests.integration.actors import grant, register_provider, utc_today
from tests.integration.conftest import ADMIN_TOKEN, RunningPlatform
from tests.integration.test_crash_recovery import (
    MENTORING,
    PER_ROUND,
    PROVIDER,
    STAFF,
    _all_decided,
    _balances_match,
    _final_through_the_gateway,
    _one_decision_event_each,
    _payments_once_and_sound,
    _voucher,
    claim_lines,
)
from tests.reporting.test_rebuild import reports

STOP_AFTER = 50
"""Claims accepted before the platform is stopped; the rest are posted meanwhile."""
ROUND = 2
"""Lines dated 31 to 45 days ago: all before this month, so the invoice run pays them."""
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def one_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment of ``make up`` on a fresh data directory: nothing external."""
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "ATR_DATABASE_URL_TEMPLATE"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "ATR_DATA_DIR": str(tmp_path / "var"),
        "ATR_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "ATR_ENVIRONMENT": "test",
        "ATR_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "ATR_KAFKA_HEARTBEAT_INTERVAL_MS": "2000",
        "ATR_CLAIM_PENDING_SWEEP_S": "1",
        "ATR_BROKER_STORAGE": "outbox",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


class Stack:
    """One ``atr up`` run in this thread (children die with the thread that spawned them).

    Every run gets new ports, so only the data directory links it to the one before (a
    port a killed process held may meanwhile serve as some connection's local port)."""

    def __init__(self, env: pytest.MonkeyPatch) -> None:
        for name in [*SERVICES, "gateway", "postgres"]:
            env.setenv(f"ATR_{name.upper()}_PORT", str(free_port()))
        self.said: list[str] = []
        self.platform = Platform(LauncherSettings())
        self.platform.console = self.said.append
        self.platform.start(kafka_port=free_port())
        self.running = RunningPlatform(
            self.platform,
            self.platform.settings,
            {name: self.platform.database_url_of(name) for name in [*SERVICES, "gateway"]},
        )

    def stop(self, how: str) -> None:
        """SIGTERM: the launcher's own stop. SIGKILL: every process at once."""
        if how == "sigkill":
            platform = self.platform
            victims = [*platform.processes.values()]
            victims += [p.process for p in (platform.broker, platform.postgres) if p and p.process]
            for process in victims:
                os.kill(process.pid, signal.SIGKILL)
            for process in victims:
                process.wait()
                assert process.returncode == -signal.SIGKILL
        self.platform.stop()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_the_whole_platform_stopped_mid_load_starts_again_with_nothing_lost(
    one_machine: pytest.MonkeyPatch, how: str
) -> None:
    first = Stack(one_machine)
    try:
        network = asyncio.run(_network(first.running))
        lines = claim_lines(ROUND, network["vouchers"])
        posting = Posting(first.running.gateway, lines, network["provider"])
        posting.wait_for(STOP_AFTER)
    finally:
        first.stop(how)
    at_stop = len(posting.accepted)
    assert at_stop < PER_ROUND, "the stop came after the load"

    second = Stack(one_machine)
    posting.gateway = second.running.gateway
    try:
        replayed = [line for line in second.said if line.startswith("replayed ")]
        assert replayed, second.said  # the new broker was refilled from the outboxes
        accepted = posting.join()
        assert len(accepted) == PER_ROUND  # one claim id per line, none shared
        asyncio.run(_converged(second.running, network, accepted))
        before = asyncio.run(_stable_reports(second.running))
    finally:
        second.stop("sigterm")

    third = Stack(one_machine)
    try:
        asyncio.run(_decided_once_on_the_topic(third.platform.bootstrap_servers, set(accepted)))
        rebuilt = asyncio.run(_rebuilt_reports(third.running))
        assert rebuilt == before
    finally:
        third.stop("sigterm")


async def _network(running: RunningPlatform) -> dict[str, Any]:
    """A provider, its tokens, ten active vouchers and a fiscal year to fund them."""
    async with httpx.AsyncClient(base_url=running.gateway, timeout=60) as gateway:
        await register_provider(gateway, running, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, running, "assessor", organisation_id="ORG-CR")
        provider = await grant(gateway, running, "provider", provider_id=PROVIDER)
        made = await asyncio.gather(*(_voucher(gateway, assessor, provider, n) for n in range(10)))
        first = fiscal_year_of(utc_today() - timedelta(days=60))
        for year in range(first, fiscal_year_of(utc_today()) + 1):
            answer = await gateway.post(
                "/v1/fiscal-years", json={"fiscal_year": year, "total": "1000000.00"}, headers=ADMIN
            )
            assert answer.status_code == 201, answer.text
    return {"assessor": assessor, "provider": provider, "vouchers": dict(made)}


async def _converged(
    running: RunningPlatform, network: dict[str, Any], accepted: dict[str, str]
) -> None:
    """Decided, funded and balanced once; then paid once by the month's invoice run."""
    claim_ids = set(accepted)
    decided = await _all_decided(running, claim_ids)
    await _one_decision_event_each(running, claim_ids)
    await _final_through_the_gateway(running, network["provider"], accepted, decided)
    await _balances_match(running, network, accepted, decided)
    await _payments_once_and_sound(running, claim_ids)
    period = utc_today().strftime("%Y-%m")
    async with httpx.AsyncClient(base_url=running.gateway, timeout=60) as gateway:
        answer = await gateway.post("/v1/invoice-runs", json={"period": period}, headers=ADMIN)
        assert answer.status_code == 201, answer.text
    cutoff = utc_today().replace(day=1)
    payable = await rows(
        running.database_urls["payments"],
        "SELECT claim_id, run_id FROM fundings WHERE funded AND service_date < :cutoff",
        cutoff=cutoff,
    )
    assert payable, "no funded line dated before the month: the invoice run proves nothing"
    assert {run_id for _, run_id in payable} == {period}
    invoiced = await rows(
        running.database_urls["payments"],
        "SELECT sum(lines) FROM invoices WHERE run_id = :run AND provider_id = :p",
        run=period,
        p=PROVIDER,
    )
    assert invoiced == [(len(payable),)]  # each payable line on the invoice once


async def _decided_once_on_the_topic(bootstrap: str, claim_ids: set[str]) -> None:
    """After two restarts the adjudication topic holds one event per claim."""
    consumer = AIOKafkaConsumer(
        CLAIMS_ADJUDICATED.name,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: Counter[str] = Counter()
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while set(seen) < claim_ids and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    seen[_claim_id_of(record.value)] += 1
        # a little longer: a duplicate would come after the first copy
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            for record in records:
                seen[_claim_id_of(record.value)] += 1
    finally:
        await consumer.stop()
    assert set(seen) == claim_ids
    assert {claim_id: n for claim_id, n in seen.items() if n != 1} == {}


def _claim_id_of(value: bytes | None) -> str:
    assert value is not None
    return ClaimAdjudicated.model_validate_json(value).data.claim_id


async def _report_texts(running: RunningPlatform) -> list[str]:
    db = Database(running.database_urls["reporting"])
    tables = add_kit_tables(reporting_metadata)
    year = fiscal_year_of(utc_today())
    try:
        async with UnitOfWork(db, tables) as uow:
            return [*await reports(uow, str(year)), *await reports(uow, str(year - 1))]
    finally:
        await db.dispose()


async def _stable_reports(running: RunningPlatform) -> list[str]:
    """Reporting's reports once they stop changing (it has consumed everything)."""
    previous: list[list[str]] = []

    async def settled() -> list[str] | None:
        current = await _report_texts(running)
        previous.append(current)
        return current if len(previous) >= 3 and previous[-3] == previous[-2] == current else None

    result: list[str] = await wait_until(settled, timeout_s=120, interval_s=2.0)
    return result


async def _rebuilt_reports(running: RunningPlatform) -> list[str]:
    """``atr reporting rebuild`` on the restarted stack, then the reports."""
    db = Database(running.database_urls["reporting"])
    tables = add_kit_tables(reporting_metadata)
    try:
        counts = await rebuild(
            running.platform.bootstrap_servers, lambda: UnitOfWork(db, tables), db=db
        )
        assert sum(count.applied for count in counts.values()) > 0
    finally:
        await db.dispose()
    return await _report_texts(running)
