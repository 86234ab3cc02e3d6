"""No message can stop the claim worker, on both databases.

A batch in which one line fails to be decided is decided again line by line; the line
that fails alone goes to ``atr.deadletter.v1`` with its error (no values) and the
others are stored and decided; ``process`` returns normally, so the offsets are
committed and nothing is retried forever. Only an outage propagates (the loop rewinds).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from contracts.clients import AuthorizedService
from contracts.topics import DEAD_LETTER
from contracts.vouchers import VoucherSnapshot
from programs.catalog import Catalog, Service
from programs.loader import load_catalog
from services.claims.adapters.orm import claims, metadata, provider_replica, voucher_replica
from services.claims.service_layer.worker import ClaimWorker
from services.claims.settings import ClaimsSettings
from services.kit.clock import FixedClock
from services.kit.failures import describe_failure, is_transient
from services.kit.runtime import ServiceRuntime
from tests.claims.fakes import NoNewerFacts

MO = load_catalog("missouri_atr2")
SERVICE = "RECOVERY_MENTORING_IND"
BROKEN = "CARE_COORDINATION"
NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)
TOPIC = "atr.claims.submitted.v1"


class BrokenRule(Catalog):
    """The Missouri catalog, except that deciding a ``BROKEN`` line raises (a rule bug)."""

    def service(self, code: str) -> Service:
        if code == BROKEN:
            raise RuntimeError("a rule that raises on this line")
        return super().service(code)


BROKEN_CATALOG = BrokenRule.model_validate(MO.model_dump())


class NoLookup:
    """Every voucher here is in the replica: the vouchers service is never asked."""

    async def fetch(self, voucher_ids: set[str]) -> dict[str, Any]:
        raise AssertionError(f"unexpected lag lookup for {voucher_ids}")


async def start_worker(
    database_url: str, bootstrap_servers: str, data_dir: Path, catalog: Catalog
) -> ClaimWorker:
    """A claims runtime (broker started, for dead letters) with client C1's voucher V1
    (mentoring and care coordination) at provider P1 whose staff S1 qualifies."""
    settings = ClaimsSettings(
        service="claims",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        data_dir=data_dir,
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
        authorized_services=[
            AuthorizedService(service_code=SERVICE, units=40),
            AuthorizedService(service_code=BROKEN, units=40),
        ],
        provider_id="P1",
        admitted_on=date(2026, 9, 2),
        admission_recorded_at=datetime(2026, 9, 2, tzinfo=UTC),
    )
    async with runtime.db.sessions() as session, session.begin():
        await session.execute(
            provider_replica.insert().values(
                provider_id="P1",
                status="active",
                services=[SERVICE, BROKEN],
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
    await runtime.broker.start()
    return ClaimWorker(runtime, lambda: catalog, FixedClock(NOW), NoLookup(), NoNewerFacts())


async def stop_worker(worker: ClaimWorker) -> None:
    await worker.runtime.broker.stop()
    await worker.runtime.sender.stop()
    await worker.runtime.db.dispose()


@pytest.fixture
async def worker(
    database_url: str, bootstrap_servers: str, tmp_path: Path
) -> AsyncIterator[ClaimWorker]:
    started = await start_worker(database_url, bootstrap_servers, tmp_path, BROKEN_CATALOG)
    try:
        yield started
    finally:
        await stop_worker(started)


def line(claim_id: str, day: int, service: str = SERVICE, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "claim_ref": f"R-{claim_id}",
        "provider_id": "P1",
        "client_id": "C1",
        "voucher_id": "V1",
        "service_code": service,
        "service_date": date(2026, 9, day).isoformat(),
        "units": 1,
        "staff_id": "S1",
        "start_time": "09:00",
        "end_time": "09:15",
        "client_signature": True,
        "face_to_face": True,
        "claim_id": claim_id,
        "submitted_at": NOW.isoformat(),
    }
    if service == BROKEN:
        body["activity"] = "care_coordination"
    body.update(changes)
    return body


def as_record(data: dict[str, Any], offset: int) -> ConsumerRecord[bytes, bytes]:
    """A ``ClaimSubmitted`` record from raw JSON, as any gateway (older ones too) wrote it."""
    envelope = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "atr.claim.submitted",
        "source": "/atr/gateway",
        "time": NOW.isoformat(),
        "subject": data["client_id"],
        "datacontenttype": "application/json",
        "schemaversion": 1,
        "data": data,
    }
    raw = json.dumps(envelope).encode()
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, b"C1", raw, None, 0, len(raw), [])


async def dead_letters(
    bootstrap: str, marker: str, count: int
) -> list[tuple[bytes, dict[str, bytes]]]:
    """The dead letters whose original bytes contain ``marker`` (waits for ``count``)."""
    consumer = AIOKafkaConsumer(
        DEAD_LETTER.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(
                    (record.value, dict(record.headers))
                    for record in records
                    if record.value and marker.encode() in record.value
                )
        # whatever else is already there (a test also asserts nothing more was sent)
        for records in (await consumer.getmany(timeout_ms=500)).values():
            found.extend(
                (record.value, dict(record.headers))
                for record in records
                if record.value and marker.encode() in record.value
            )
        return found
    finally:
        await consumer.stop()


async def stored(worker: ClaimWorker, ids: set[str]) -> dict[str, str]:
    async with worker.runtime.db.sessions() as session:
        rows = await session.execute(
            select(claims.c.claim_id, claims.c.status).where(claims.c.claim_id.in_(ids))
        )
        return {row.claim_id: row.status for row in rows}


async def test_a_poison_line_is_dead_lettered_and_the_rest_of_its_batch_is_decided(
    worker: ClaimWorker, bootstrap_servers: str
) -> None:
    """One line whose decision raises, one old event with an offset-aware start time and a
    naive end (the reported defect), and good lines around them: the good lines are
    stored and decided, both bad ones dead-lettered with an ``x-error``, no exception."""
    tag = uuid.uuid4().hex[:8]
    good = [f"G1-{tag}", f"G2-{tag}", f"G3-{tag}"]
    poison, offset_time = f"P-{tag}", f"T-{tag}"
    batch = [
        as_record(line(good[0], 10), 0),
        as_record(line(poison, 10, BROKEN), 1),
        as_record(line(good[1], 11), 2),
        as_record(line(offset_time, 12, start_time="11:00Z", end_time="11:15"), 3),
        as_record(line(good[2], 12, start_time="10:00", end_time="10:30"), 4),
    ]
    assert await worker.process(batch) == 3
    assert await stored(worker, {*good, poison, offset_time}) == dict.fromkeys(good, "approved")

    dead = await dead_letters(bootstrap_servers, tag, 2)
    errors = {
        next(c for c in (poison, offset_time) if c.encode() in value): headers["x-error"].decode()
        for value, headers in dead
    }
    assert set(errors) == {poison, offset_time}
    assert errors[poison].startswith("RuntimeError at tests/claims/test_worker_poison.py")
    assert "raises on this line" not in errors[poison]  # the message is never copied
    assert "start_time" in errors[offset_time]
    for _, headers in dead:
        assert headers["x-consumer"] == b"atr-claims-workers"

    # redelivered (the commit was lost): nothing is decided twice, the poison line is
    # dead-lettered again rather than stalling the batch
    assert await worker.process(batch) == 0


async def test_headers_that_are_not_text_do_not_stop_the_batch(worker: ClaimWorker) -> None:
    """Trace context is read from the headers; a binary or empty header is not an error."""
    tag = uuid.uuid4().hex[:8]
    plain = as_record(line(f"G-{tag}", 10), 0)
    odd = ConsumerRecord(
        TOPIC, 0, 0, 0, 0, b"C1", plain.value, None, 2, plain.serialized_value_size,
        [("traceparent", b"\xff\xfe"), ("empty", None)],
    )  # fmt: skip
    assert await worker.process([odd]) == 1
    assert await stored(worker, {f"G-{tag}"}) == {f"G-{tag}": "approved"}


async def test_a_line_the_database_refuses_is_dead_lettered_not_retried_forever(
    worker: ClaimWorker, bootstrap_servers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``IntegrityError`` while storing was taken for an outage (the batch rewound
    forever); now the line that fails alone is dead-lettered, the others stored."""
    tag = uuid.uuid4().hex[:8]
    good, poison = f"G-{tag}", f"P-{tag}"
    original = worker.store._prepare

    def refuse_poison(uow: Any, decided: Any, now: Any) -> Any:
        rows = original(uow, decided, now)
        if any(line.claim_id == poison for line, _ in decided):
            raise IntegrityError("INSERT INTO claims ...", {"claim_ref": "secret"}, Exception())
        return rows

    monkeypatch.setattr(worker.store, "_prepare", refuse_poison)
    batch = [as_record(line(poison, 10), 0), as_record(line(good, 11), 1)]
    assert await worker.process(batch) == 1
    assert await stored(worker, {good, poison}) == {good: "approved"}
    dead = [
        headers["x-error"].decode()
        for _, headers in await dead_letters(bootstrap_servers, poison, 1)
    ]
    assert len(dead) == 1
    assert dead[0].startswith("IntegrityError")
    assert "secret" not in dead[0]


async def test_an_outage_still_propagates_for_the_loop_to_rewind(
    worker: ClaimWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]

    def outage(*_: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    monkeypatch.setattr(worker.store, "_prepare", outage)
    with pytest.raises(OperationalError):
        await worker.process([as_record(line(f"G-{tag}", 10), 0)])
    assert await stored(worker, {f"G-{tag}"}) == {}


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate


def test_only_outages_are_transient() -> None:
    """The one classifier every consumer uses: outages rewind, data errors are poison."""

    def db(kind: type[Exception], orig: Exception | None = None, **kw: Any) -> Exception:
        return kind("INSERT ...", {}, orig or Exception(), **kw)  # type: ignore[call-arg]

    transient = [
        db(OperationalError),
        db(IntegrityError, connection_invalidated=True),
        db(ProgrammingError, DriverError("57P01")),  # admin shutdown
        db(DataError, DriverError("40001")),  # serialization failure
        ConnectionRefusedError(),
        ConnectionResetError(),
        TimeoutError(),
        OSError(),
    ]
    poison = [
        db(IntegrityError),
        db(IntegrityError, DriverError("23505")),
        db(DataError),
        db(DataError, DriverError("22P02")),
        db(ProgrammingError),
        TypeError("can't subtract offset-naive and offset-aware datetimes"),
        KeyError("X"),
        ValueError(),
        RuntimeError(),
    ]
    assert [is_transient(e) for e in transient] == [True] * len(transient)
    assert [is_transient(e) for e in poison] == [False] * len(poison)


def test_a_failure_is_described_without_its_values() -> None:
    try:
        raise ValueError("client C-42 has SSN 123-45-6789")
    except ValueError as exc:
        text = describe_failure(exc)
    assert text.startswith("ValueError at tests/claims/test_worker_poison.py:")
    assert "123-45-6789" not in text
    refused = IntegrityError("INSERT ...", {"ssn": "123-45-6789"}, DriverError("23505"))
    assert describe_failure(refused) == "IntegrityError (DriverError, SQLSTATE 23505)"


def test_times_never_make_the_engine_raise() -> None:
    """Mixed offset-aware and naive times (old events) are read off the clock face."""
    from services.claims.domain.engine import _minutes, _overlap
    from services.claims.domain.model import ClaimLine

    aware = time(11, tzinfo=UTC)
    claim = ClaimLine(
        claim_id="K",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=SERVICE,
        service_date=date(2026, 9, 10),
        units=1,
        staff_id="S1",
        start_time=aware,
        end_time=time(11, 15),
    )
    assert _minutes(claim) == 15
    assert _overlap(aware, time(12), time(11, 30), time(13, tzinfo=UTC))
    assert not _overlap(time(9), aware, time(11, 30), time(13))
