"""``atr reporting rebuild`` (SPEC §3.6): emptied read models, every topic replayed from
the beginning, identical reports. First through the service layer on SQLite and
PostgreSQL, then through the real broker (replay to the high watermark, no
``end_offsets``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import func, select

from contracts.envelope import Event
from programs.loader import load_catalog
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import metadata
from services.reporting.adapters.rebuild_lock import rebuilding
from services.reporting.domain.periods import Period
from services.reporting.service_layer.projections import PROJECTIONS, Projection, apply_events
from services.reporting.service_layer.rebuild import rebuild, reset_read_models
from services.reporting.service_layer.reports import (
    financial_report,
    integrity_report,
    provider_report,
)
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    sqlalchemy_postgres_url,
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


async def _publish_to_own_topics(bootstrap_servers: str, events: list[Event]) -> list[Projection]:
    """Each projection's topic under a unique prefix (same partitions), with ``events``
    published to them: on the session's shared topics the platform's live services would
    act on them (payments would fund the scenario's claims again) and the replay would
    rightly see more than the direct feed."""
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
    return projections


async def test_rebuild_replays_the_topics_to_the_high_watermark(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    """The report cards' scenario (every topic but clients) published to the real
    broker, rebuilt twice into one database and fed directly into another: identical
    reports from all three. (The scenarios together reuse claim ids, so their order
    across topics would matter; each alone does not.)"""
    events = test_provider_cards.scenario()
    projections = await _publish_to_own_topics(bootstrap_servers, events)
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


@pytest.fixture
async def on_postgres() -> AsyncIterator[Reporting]:
    """An empty reporting database on the test PostgreSQL (advisory locks)."""
    name = await create_postgres_database()
    tables = add_kit_tables(metadata)
    db = Database(sqlalchemy_postgres_url(name))
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield Reporting(db, tables)
    finally:
        await db.dispose()
        await drop_postgres_database(name)


async def _processed(reporting: Reporting) -> int:
    async with reporting.db.read_sessions() as session:
        table = reporting.tables.processed_events
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_consumer_write_waits_while_a_rebuild_runs(on_postgres: Reporting) -> None:
    """On PostgreSQL the rebuild holds its lock for its whole run: a consumer's unit of
    work (the service's consumer prelude, then the events) waits, writes nothing, and
    goes on when the rebuild ends."""
    events = test_provider_cards.scenario()
    async with rebuilding(on_postgres.db):
        live = asyncio.create_task(on_postgres.feed(events))
        await asyncio.sleep(0.5)
        assert not live.done()
        assert await _processed(on_postgres) == 0
    assert await asyncio.wait_for(live, 30) == len(events)
    assert await _processed(on_postgres) == len(events)


async def test_rebuild_while_the_consumers_run_gives_the_same_reports(
    bootstrap_servers: str, on_postgres: Reporting, tmp_path: Path
) -> None:
    """``atr reporting rebuild`` on a running service: the live consumers apply the same
    events (redelivered, a few at a time) while the rebuild empties and replays; the
    reports equal those of a database fed each event once. Without the lock a consumer's
    rows written between the emptying and the replay would count twice."""
    events = test_provider_cards.scenario()
    projections = await _publish_to_own_topics(bootstrap_servers, events)
    direct = await _open(tmp_path / "direct.db")
    try:
        await direct.feed(events)
        # the live consumers of the test's own topics: same consumer names as the replay
        own = {p.topic.name.split(".", 1)[1]: p for p in projections}

        async def consume(chunk: list[Event]) -> int:
            new = 0
            for event in chunk:
                async with on_postgres.uow() as uow:
                    new += await apply_events(uow, own[projection_of(event).topic.name], [event])
                    await uow.commit()
            return new

        assert await consume(events[: len(events) // 2]) == len(events) // 2

        async def consumers() -> None:
            for chunk in range(0, len(events), 4):
                await consume(events[chunk : chunk + 4])
                await asyncio.sleep(0)

        await asyncio.gather(
            rebuild(bootstrap_servers, on_postgres.uow, projections, db=on_postgres.db),
            consumers(),
        )
        assert await consume(events) == 0  # every id is recorded: nothing applied twice
        async with on_postgres.uow() as uow:
            after = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
        async with direct.uow() as uow:
            fed = [*await reports(uow, "2027Q2"), *await reports(uow, "2027")]
        assert after == fed
    finally:
        await direct.db.dispose()
