"""``atr reporting rebuild`` (SPEC §3.6): emptied read models, every topic replayed from
the beginning, identical reports. First through the service layer on SQLite and
PostgreSQL, then through the real broker (replay to the high watermark, no
``end_offsets``)."""

from __future__ import annotations

import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from contracts.envelope import Event
from programs.loader import load_catalog
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import metadata
from services.reporting.domain.periods import Period
from services.reporting.service_layer.rebuild import rebuild, reset_read_models
from services.reporting.service_layer.reports import (
    financial_report,
    integrity_report,
    provider_report,
)
from tests.reporting import test_financial, test_integrity, test_provider_cards
from tests.reporting.conftest import Reporting, projection_of

CATALOG = load_catalog("missouri_atr2")


async def reports(uow: UnitOfWork, period: str) -> list[str]:
    """The three reports as JSON text."""
    p = Period.parse(period)
    return [
        (await financial_report(uow, p)).model_dump_json(),
        (await provider_report(uow, p)).model_dump_json(),
        (await integrity_report(uow, p, CATALOG)).model_dump_json(),
    ]


def every_event() -> list[Event]:
    return [*test_financial.scenario(), *test_provider_cards.scenario(), *test_integrity.scenario()]


async def test_rebuild_from_the_same_events_gives_identical_reports(reporting: Reporting) -> None:
    events = every_event()
    assert await reporting.feed(events) == len(events)
    assert await reporting.feed(events) == 0  # redelivered: skipped by id
    async with reporting.uow() as uow:
        before = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
    async with reporting.uow() as uow:
        await reset_read_models(uow)
        await uow.commit()
    async with reporting.uow() as uow:
        emptied = await reports(uow, "2027Q2")
    assert emptied != before[:3]
    # replayed in a different batching, as a replay from the topics would be
    assert await reporting.feed(events, batch=50) == len(events)
    async with reporting.uow() as uow:
        after = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
    assert after == before


async def _open(path: Path) -> Reporting:
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return Reporting(db, add_kit_tables(metadata))


async def test_rebuild_replays_the_topics_to_the_high_watermark(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    """Events published to the real broker, rebuilt twice into one database and fed
    directly into another: the same provider cards from each (ids unique to this test;
    the topics hold other tests' events, and the session's platform may still add some
    while this test runs)."""
    tag = uuid.uuid4().hex[:8]
    events = [
        event.model_copy(
            update={
                "data": event.data.model_copy(
                    update={"provider_id": f"{tag}-{event.data.provider_id}"}
                )
            }
        )
        if hasattr(event.data, "provider_id")
        else event
        for event in test_provider_cards.scenario()
    ]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=False
    )
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                projection_of(event).topic.name, event.to_bytes(), key=event.subject.encode()
            )
    finally:
        await producer.stop()

    direct = await _open(tmp_path / "direct.db")
    rebuilt = await _open(tmp_path / "rebuilt.db")
    try:
        await direct.feed(events)
        counts = await rebuild(bootstrap_servers, rebuilt.uow)
        assert sum(c.applied for c in counts.values()) >= len(events)
        async with rebuilt.uow() as uow:
            rebuilt_cards = (await provider_report(uow, Period.parse("2027Q2"))).providers
        # the platform of the session may still publish between the two rebuilds: the
        # cards of this test's providers are what must come out identical
        await rebuild(bootstrap_servers, rebuilt.uow)
        async with rebuilt.uow() as uow:
            again = (await provider_report(uow, Period.parse("2027Q2"))).providers
        async with direct.uow() as uow:
            direct_cards = (await provider_report(uow, Period.parse("2027Q2"))).providers
        mine = [c for c in rebuilt_cards if c.provider_id.startswith(tag)]
        assert [c.provider_id for c in mine] == [f"{tag}-P1", f"{tag}-P2", f"{tag}-P3"]
        assert mine == direct_cards
        assert [c for c in again if c.provider_id.startswith(tag)] == mine
    finally:
        await direct.db.dispose()
        await rebuilt.db.dispose()
