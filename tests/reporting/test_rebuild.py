"""``atr reporting rebuild`` (SPEC §3.6): emptied read models, every topic replayed from
the beginning, identical reports. First through the service layer on SQLite and
PostgreSQL, then through the real broker (replay to the high watermark, no
``end_offsets``)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.envelope import Event
from programs.loader import load_catalog
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import metadata
from services.reporting.domain.periods import Period
from services.reporting.service_layer.projections import PROJECTIONS
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
    tables = add_kit_tables(metadata)  # before create_all: processed events included
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return Reporting(db, tables)


async def test_rebuild_replays_the_topics_to_the_high_watermark(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    """The report cards' scenario (every topic but clients) published to the real
    broker, rebuilt twice into one database and fed directly into another: identical
    reports from all three. (The scenarios together reuse claim ids, so their order
    across topics would matter; each alone does not.)

    The events go to topics of this test's own (each projection's topic under a unique
    prefix, same partitions): on the session's shared topics the platform's live
    services would act on them (payments would fund the scenario's claims again) and
    the replay would rightly see more than the direct feed."""
    tag = uuid.uuid4().hex[:8]
    projections = [
        replace(p, topic=replace(p.topic, name=f"test-{tag}.{p.topic.name}")) for p in PROJECTIONS
    ]
    topic_of = {p.topic.name: q.topic.name for p, q in zip(PROJECTIONS, projections, strict=True)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(p.topic.name, num_partitions=p.topic.partitions, replication_factor=1)
                for p in projections
            ]
        )
    finally:
        await admin.close()
    events = test_provider_cards.scenario()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=False
    )
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic_of[projection_of(event).topic.name],
                event.to_bytes(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()

    direct = await _open(tmp_path / "direct.db")
    rebuilt = await _open(tmp_path / "rebuilt.db")
    try:
        await direct.feed(events)
        counts = await rebuild(bootstrap_servers, rebuilt.uow, projections)
        assert sum(c.read for c in counts.values()) == len(events)
        assert sum(c.applied for c in counts.values()) == len(events)
        async with rebuilt.uow() as uow:
            first = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
        await rebuild(bootstrap_servers, rebuilt.uow, projections)
        async with rebuilt.uow() as uow:
            again = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
        async with direct.uow() as uow:
            fed = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
        assert first == fed
        assert again == first
    finally:
        await direct.db.dispose()
        await rebuilt.db.dispose()
