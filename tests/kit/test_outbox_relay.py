"""The outbox relay against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select, update

from contracts.envelope import STRUCTURED_CONTENT_TYPE
from services.kit.broker import ensure_topics
from services.kit.database import Database
from services.kit.kafka_sender import KafkaSender
from services.kit.metrics import ServiceMetrics
from services.kit.outbox_relay import OutboxRelay
from services.kit.schema import (
    OUTBOX_IN_PROGRESS,
    OUTBOX_NOT_PUBLISHED,
    OUTBOX_PUBLISHED,
    KitTables,
    add_kit_tables,
)
from services.kit.unit_of_work import UnitOfWork
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata

STRUCTURED = STRUCTURED_CONTENT_TYPE.encode()


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
        assert all(headers["content-type"] == STRUCTURED for _, _, headers in received)
        async with db.sessions() as session:
            statuses = set((await session.scalars(select(tables.outbox.c.status))).all())
        assert statuses == {OUTBOX_PUBLISHED}
    finally:
        await broker.stop()
        await db.dispose()


async def test_a_row_stored_by_an_older_release_goes_out_structured_and_still_parses(
    database_url: str, bootstrap_servers: str
) -> None:
    """Rows keep the bytes they were written with: one from before the CloudEvents
    attribute rename (``schema_version``, no ``content-type`` header stored) is
    published with the header, and the lenient envelope reads it (the old name dropped)."""
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    sender = KafkaSender(bootstrap_servers)
    relay = OutboxRelay(db, tables, sender, ServiceMetrics.create("kit_t5"))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        event = TallyBumped(subject="k", data=Tally(counter="x"))
        legacy = event.to_bytes().replace(b'"schemaversion"', b'"schema_version"')
        async with UnitOfWork(db, tables) as uow:
            uow.emit(topic, event)
            await uow.commit()
        async with db.engine.begin() as connection:
            await connection.execute(update(tables.outbox).values(payload=legacy, headers={}))
        assert await relay.publish_pending() == 1
        [(_, value, headers)] = await _consume(bootstrap_servers, topic.name, 1)
        assert value == legacy
        assert headers == {"content-type": STRUCTURED}
        assert TallyBumped.model_validate_json(value) == event
    finally:
        await sender.stop()
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


async def _statuses(db: Database, tables: KitTables) -> list[tuple[str, int]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(tables.outbox.c.status, tables.outbox.c.attempts).order_by(tables.outbox.c.seq)
        )
        return [(row.status, row.attempts) for row in rows]


async def _until(condition: Callable[[], Awaitable[bool]], timeout_s: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_committed_rows_are_sent_without_polling_and_marked_in_one_burst(
    database_url: str, bootstrap_servers: str
) -> None:
    """Publish on commit: a unit's rows reach the topic in order and end up published."""
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    sender = KafkaSender(bootstrap_servers)
    # polling effectively off: only the on-commit path can publish these rows
    relay = OutboxRelay(
        db, tables, sender, ServiceMetrics.create("kit_t3"), poll_interval_s=3600, mark_interval_s=5
    )
    marks: list[int] = []
    mark = relay._mark

    async def counted(sent: Any) -> int:
        marks.append(len(sent))
        return await mark(sent)

    relay._mark = counted  # type: ignore[method-assign]
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    running = asyncio.create_task(relay.run())
    try:
        events = [TallyBumped(subject="k1", data=Tally(counter=f"c{i}")) for i in range(40)]
        for start in (0, 20):
            async with UnitOfWork(db, tables, publisher=relay) as uow:
                for event in events[start : start + 20]:
                    uow.emit(topic, event)
                await uow.commit()
        received = await _consume(bootstrap_servers, topic.name, 40)
        assert [TallyBumped.model_validate_json(value).id for _, value, _ in received] == [
            e.id for e in events
        ]
        assert all(headers["content-type"] == STRUCTURED for _, _, headers in received)

        async def all_published() -> bool:
            return await _statuses(db, tables) == [(OUTBOX_PUBLISHED, 0)] * 40

        await _until(all_published)
        assert marks == [40]  # both units' rows in one marking transaction
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await sender.stop()
        await db.dispose()


class FailingOnce:
    """A sender whose first send raises (broker unreachable), then delegates."""

    def __init__(self, real: KafkaSender) -> None:
        self.real = real
        self.failed = False

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Mapping[str, str]
    ) -> asyncio.Future[Any]:
        if not self.failed:
            self.failed = True
            raise ConnectionError("broker unreachable")
        return await self.real.send(topic, key, value, headers)


async def test_a_committed_row_that_cannot_be_sent_goes_back_to_polling_and_is_published(
    database_url: str, bootstrap_servers: str
) -> None:
    """Nothing is lost when the on-commit send fails: the row is unheld, then polled."""
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    real = KafkaSender(bootstrap_servers)
    relay = OutboxRelay(
        db,
        tables,
        FailingOnce(real),  # type: ignore[arg-type]
        ServiceMetrics.create("kit_t4"),
        poll_interval_s=3600,
    )
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        event = TallyBumped(subject="k", data=Tally(counter="x"))
        async with UnitOfWork(db, tables, publisher=relay) as uow:
            uow.emit(topic, event)
            await uow.commit()
        confirming = asyncio.gather(relay._send_loop(), relay._confirm_loop())
        try:

            async def released() -> bool:
                return await _statuses(db, tables) == [(OUTBOX_NOT_PUBLISHED, 1)]

            await _until(released)
            assert relay._wake.is_set()  # polling was asked to take it
        finally:
            confirming.cancel()
            await asyncio.gather(confirming, return_exceptions=True)
        assert await relay.publish_pending() == 1
        assert await _statuses(db, tables) == [(OUTBOX_PUBLISHED, 1)]
        received = await _consume(bootstrap_servers, topic.name, 1)
        assert [TallyBumped.model_validate_json(v).id for _, v, _ in received] == [event.id]
    finally:
        await real.stop()
        await db.dispose()
