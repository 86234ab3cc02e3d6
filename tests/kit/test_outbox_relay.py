"""The outbox relay against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from services.kit.broker import ensure_topics
from services.kit.database import Database
from services.kit.kafka_sender import KafkaSender
from services.kit.metrics import ServiceMetrics
from services.kit.outbox_relay import OutboxRelay
from services.kit.schema import OUTBOX_IN_PROGRESS, OUTBOX_PUBLISHED, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata


async def _consume(
    bootstrap: str, topic: str, count: int
) -> list[tuple[bytes, bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        seen: list[tuple[bytes, bytes, dict[str, bytes]]] = []
        for _ in range(100):
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                seen += [(r.key, r.value, dict(r.headers)) for r in records]
            if len(seen) >= count:
                break
        return seen
    finally:
        await consumer.stop()


async def test_relay_publishes_committed_events_in_order_and_marks_them(
    database_url: str, bootstrap_servers: str
) -> None:
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    broker = KafkaSender(bootstrap_servers)
    relay = OutboxRelay(db, tables, broker, ServiceMetrics.create("kit_test2"))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        events = [TallyBumped(subject="k1", data=Tally(counter=f"c{i}")) for i in range(25)]
        async with UnitOfWork(db, tables) as uow:
            for event in events:
                uow.emit(topic, event)
            await uow.commit()
        assert await relay.publish_pending() == 25
        assert await relay.publish_pending() == 0  # nothing left, nothing twice
        received = await _consume(bootstrap_servers, topic.name, 25)
        assert [TallyBumped.model_validate_json(value).id for _, value, _ in received] == [
            e.id for e in events
        ]
        assert {key for key, _, _ in received} == {b"k1"}
        async with db.sessions() as session:
            statuses = set((await session.scalars(select(tables.outbox.c.status))).all())
        assert statuses == {OUTBOX_PUBLISHED}
    finally:
        await broker.stop()
        await db.dispose()


async def test_relay_leaves_rows_leased_by_another_relay_until_the_lease_ends(
    database_url: str, bootstrap_servers: str
) -> None:
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    broker = KafkaSender(bootstrap_servers)
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with UnitOfWork(db, tables) as uow:
            uow.emit(topic, TallyBumped(subject="k", data=Tally(counter="x")))
            await uow.commit()
        crashed = OutboxRelay(db, tables, broker, ServiceMetrics.create("a"))
        claimed = await crashed._claim_batch()  # claims, then "dies" before publishing
        assert len(claimed) == 1
        patient = OutboxRelay(db, tables, broker, ServiceMetrics.create("b"))
        assert await patient.publish_pending() == 0
        async with db.sessions() as session:
            assert await session.scalar(select(tables.outbox.c.status)) == OUTBOX_IN_PROGRESS
        expired = OutboxRelay(db, tables, broker, ServiceMetrics.create("c"), lease=timedelta(0))
        assert await expired.publish_pending() == 1
        assert len(await _consume(bootstrap_servers, topic.name, 1)) == 1
    finally:
        await broker.stop()
        await db.dispose()
