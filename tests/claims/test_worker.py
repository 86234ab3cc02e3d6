"""The claim worker on SQLite and PostgreSQL: decide on a snapshot, store under the lock.

Batching with SPEC §2 keys: the worker decides a batch on a read
snapshot and writes it in one short transaction. If another worker stored lines of the
same clients in between (a partition hand-over), the batch is decided again on what is
stored, so a voucher's units are never granted twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import select

from contracts.claims import ClaimSubmitted, ClaimSubmittedData
from contracts.clients import AuthorizedService
from contracts.vouchers import VoucherSnapshot
from programs.loader import load_catalog
from services.claims.adapters.claim_store import Loaded
from services.claims.adapters.history import read_heads, read_histories
from services.claims.adapters.orm import claims, metadata, provider_replica, voucher_replica
from services.claims.domain.model import ClaimLine
from services.claims.service_layer.worker import ClaimWorker
from services.claims.settings import ClaimsSettings
from services.kit.clock import FixedClock
from services.kit.runtime import ServiceRuntime
from tests.claims.fakes import NoNewerFacts

MO = load_catalog("missouri_atr2")
SERVICE = "RECOVERY_MENTORING_IND"
NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)


class NoLookup:
    """The vouchers service is never asked: every voucher here is in the replica."""

    async def fetch(self, voucher_ids: set[str]) -> dict[str, Any]:
        raise AssertionError(f"unexpected lag lookup for {voucher_ids}")


@pytest.fixture
async def worker(
    database_url: str, bootstrap_servers: str, tmp_path: Path
) -> AsyncIterator[ClaimWorker]:
    settings = ClaimsSettings(
        service="claims",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        data_dir=tmp_path,
    )
    runtime = ServiceRuntime("claims", metadata, settings=settings)
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    snapshot = VoucherSnapshot(
        voucher_id="V1",
        client_id="C1",
        kind="service",
        status="active",
        version=3,
        issued_on=date(2026, 9, 1),
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        authorized_services=[AuthorizedService(service_code=SERVICE, units=4)],
        provider_id="P1",
        admitted_on=date(2026, 9, 2),
        admission_recorded_at=datetime(2026, 9, 2, tzinfo=UTC),
    )
    async with runtime.db.sessions() as session, session.begin():
        await session.execute(
            provider_replica.insert().values(
                provider_id="P1",
                status="active",
                services=[SERVICE],
                staff=[{"staff_id": "S1", "credentials": ["addictions_academy_graduate"]}],
                as_of=NOW,
            )
        )
        await session.execute(
            voucher_replica.insert().values(
                voucher_id="V1",
                client_id="C1",
                version=3,
                snapshot=snapshot.model_dump(mode="json"),
            )
        )
    worker = ClaimWorker(runtime, lambda: MO, FixedClock(NOW), NoLookup(), NoNewerFacts())
    try:
        yield worker
    finally:
        await runtime.sender.stop()
        await runtime.db.dispose()


def record(claim_id: str, day: int, offset: int, units: int = 4) -> ConsumerRecord[bytes, bytes]:
    """A ``ClaimSubmitted`` for ``units`` of mentoring (4: the voucher's whole balance)."""
    event = ClaimSubmitted(
        subject="C1",
        data=ClaimSubmittedData(
            claim_ref=f"R-{claim_id}",
            provider_id="P1",
            client_id="C1",
            voucher_id="V1",
            service_code=SERVICE,
            service_date=date(2026, 9, day),
            units=units,
            staff_id="S1",
            start_time=time(9),
            end_time=time(10),
            client_signature=True,
            face_to_face=True,
            claim_id=claim_id,
            submitted_at=NOW,
        ),
    )
    return ConsumerRecord(CLAIMS_TOPIC, 0, offset, 0, 0, b"C1", event.to_bytes(), None, 0, 0, [])


CLAIMS_TOPIC = "atr.claims.submitted.v1"


async def stored(worker: ClaimWorker) -> dict[str, tuple[str, int]]:
    async with worker.runtime.db.sessions() as session:
        rows = await session.execute(
            select(claims.c.claim_id, claims.c.status, claims.c.allowed_units)
        )
        return {row.claim_id: (row.status, row.allowed_units) for row in rows}


async def test_a_batch_is_decided_in_order_and_stored_once(worker: ClaimWorker) -> None:
    """Two 4-unit lines against a 4-unit voucher: the first is approved, the second
    denied; a redelivery of the same records changes nothing."""
    batch = [record("K1", 10, 0), record("K2", 11, 1)]
    assert await worker.process(batch) == 2
    assert await stored(worker) == {"K1": ("approved", 4), "K2": ("denied", 0)}
    assert await worker.process(batch) == 0
    assert await stored(worker) == {"K1": ("approved", 4), "K2": ("denied", 0)}


async def test_lines_stored_by_another_worker_after_the_snapshot_are_respected(
    worker: ClaimWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between this worker's snapshot and its write, 'another worker' stores an approved
    4-unit line of the same client; this worker's line must then be decided again and
    denied for units, not approved on the stale snapshot."""
    other = ClaimWorker(worker.runtime, lambda: MO, FixedClock(NOW), NoLookup(), NoNewerFacts())
    original = worker.store.load

    async def hand_over(lines: Sequence[ClaimLine]) -> Loaded:
        loaded = await original(lines)
        assert await other.process([record("K-OTHER", 9, 0)]) == 1
        return loaded

    monkeypatch.setattr(worker.store, "load", hand_over)
    assert await worker.process([record("K-MINE", 10, 1)]) == 1
    assert await stored(worker) == {"K-OTHER": ("approved", 4), "K-MINE": ("denied", 0)}


async def test_lines_of_the_same_batch_stored_by_another_worker_are_not_stored_twice(
    worker: ClaimWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redelivery races the first delivery: between this worker's snapshot and its
    write, 'another worker' stores one of this batch's very lines. This worker must
    notice under the lock, keep that line as stored and store only the other one."""
    other = ClaimWorker(worker.runtime, lambda: MO, FixedClock(NOW), NoLookup(), NoNewerFacts())
    original = worker.store.load

    async def hand_over(lines: Sequence[ClaimLine]) -> Loaded:
        loaded = await original(lines)
        assert await other.process([record("K1", 9, 0, units=1)]) == 1
        return loaded

    monkeypatch.setattr(worker.store, "load", hand_over)
    assert await worker.process([record("K1", 9, 0, units=1), record("K2", 10, 1, units=1)]) == 1
    assert await stored(worker) == {"K1": ("approved", 1), "K2": ("approved", 1)}


async def test_every_workers_history_cache_follows_what_any_worker_stored(
    worker: ClaimWorker,
) -> None:
    """Two workers take turns on one client (partition hand-overs): before each batch,
    each worker's cached history equals the history read from the database, and the
    voucher's 4 units are granted exactly once in all."""
    other = ClaimWorker(worker.runtime, lambda: MO, FixedClock(NOW), NoLookup(), NoNewerFacts())
    day = 3
    for turn in range(6):
        taking = worker if turn % 2 == 0 else other
        batch = [record(f"K{turn}-{i}", day + i, turn * 2 + i, units=1) for i in range(2)]
        day += 2
        assert await taking.process(batch) == 2
        for each in (worker, other):
            async with worker.runtime.db.read_sessions() as session:
                heads = await read_heads(session, {"C1"})
                cached = await each.history.histories(session, heads)
                truth = await read_histories(session, {"C1"})
            assert [p.claim_id for p in cached["C1"].lines] == [
                p.claim_id for p in truth["C1"].lines
            ]
            assert cached["C1"].usage == truth["C1"].usage
    states = await stored(worker)
    assert sum(units for _, units in states.values()) == 4
    assert [k for k, (status, _) in sorted(states.items()) if status == "approved"] == [
        "K0-0",
        "K0-1",
        "K1-0",
        "K1-1",
    ]


async def test_the_same_service_twice_is_a_duplicate_within_and_across_batches(
    worker: ClaimWorker,
) -> None:
    """DUPLICATE_CLAIM: same provider, service, date and start time under another ref,
    whether the first line is in the same batch or was decided in an earlier one."""
    assert await worker.process([record("K1", 10, 0, units=1), record("K2", 10, 1, units=1)]) == 2
    assert await worker.process([record("K3", 10, 2, units=1), record("K4", 11, 3, units=1)]) == 2
    assert await stored(worker) == {
        "K1": ("approved", 1),
        "K2": ("denied", 0),
        "K3": ("denied", 0),
        "K4": ("approved", 1),
    }
    async with worker.runtime.db.sessions() as session:
        rows = await session.execute(select(claims.c.claim_id, claims.c.reasons))
        reasons = {row.claim_id: row.reasons for row in rows}
    assert reasons["K2"] == reasons["K3"] == ["DUPLICATE_CLAIM"]


async def test_committed_decisions_are_exported_by_outcome_with_their_latency(
    worker: ClaimWorker,
) -> None:
    """``atr_claim_decisions_total{service,outcome}`` counts each committed decision
    once (a redelivery adds nothing) and ``atr_adjudication_latency_seconds`` observes
    each from ``submitted_at`` to the decision."""
    batch = [record("K1", 10, 0), record("K2", 11, 1)]
    assert await worker.process(batch) == 2
    assert await worker.process(batch) == 0
    get = worker.runtime.metrics.registry.get_sample_value
    for outcome, count in (("approved", 1), ("denied", 1), ("partially_approved", None)):
        assert get("atr_claim_decisions_total", {"service": "claims", "outcome": outcome}) == count
    assert get("atr_adjudication_latency_seconds_count", {"service": "claims"}) == 2
    assert get("atr_adjudication_latency_seconds_sum", {"service": "claims"}) == 0.0
