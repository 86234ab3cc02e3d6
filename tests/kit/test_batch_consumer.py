"""Batched idempotent consumer against the real broker, on both databases.

Batching where the volume lives, SPEC §2 "Delivery", §5 "Reliability": one
transaction per batch, each event applied once, events of other types skipped without
being judged, poison to the dead-letter topic; ``linger_s`` gathers what arrives within
its window into one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaProducer
from pydantic import TypeAdapter
from sqlalchemy import Table, select

from services.kit.batch_consumer import BatchConsumer
from services.kit.broker import ensure_topics
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork
from tests.infrastructure import wait_until
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata
from tests.kit.test_consumer import _dead_letters_for


@contextlib.asynccontextmanager
async def running(
    database_url: str, bootstrap_servers: str, *, linger_s: float
) -> AsyncIterator[tuple[BatchConsumer, Table, list[list[str]], AIOKafkaProducer]]:
    """A batch consumer of a fresh topic that counts per counter and logs its batches."""
    metadata, tally = tally_metadata()
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    settings = Settings(
        service="kit-batch-test",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_session_timeout_ms=6000,
        kafka_heartbeat_interval_ms=2000,
    )
    runtime = ServiceRuntime("kit_batch_test", metadata, settings=settings)
    batches: list[list[str]] = []

    async def bump(uow: UnitOfWork, events: list[TallyBumped]) -> None:
        batches.append([event.data.counter for event in events])
        for event in events:
            current = await uow.session.scalar(
                select(tally.c.value).where(tally.c.counter == event.data.counter)
            )
            if current is None:
                await uow.session.execute(
                    tally.insert().values(counter=event.data.counter, value=1)
                )
            else:
                await uow.session.execute(
                    tally.update()
                    .where(tally.c.counter == event.data.counter)
                    .values(value=current + 1)
                )

    consumer = BatchConsumer(
        runtime,
        topic,
        TypeAdapter(TallyBumped),
        bump,
        name="kit-batch-test",
        accepts=(TallyBumped,),
        linger_s=linger_s,
    )
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    await runtime.broker.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer, tally, batches, producer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()
        await runtime.broker.stop()
        await runtime.db.dispose()


async def _values(consumer: BatchConsumer, tally: Table) -> dict[str, int]:
    async with consumer.runtime.db.sessions() as session:
        rows = await session.execute(select(tally.c.counter, tally.c.value))
        return {row.counter: row.value for row in rows}


async def test_each_event_once_other_types_skipped_poison_dead_lettered(
    database_url: str, bootstrap_servers: str
) -> None:
    async with running(database_url, bootstrap_servers, linger_s=0.0) as (
        consumer,
        tally,
        _,
        producer,
    ):
        first = TallyBumped(subject="a", data=Tally(counter="a"))
        # another type whose data holds this consumer's type name before the envelope's
        # own "type": the cheap hint says "ours", the envelope says otherwise, so it is
        # skipped, neither applied nor dead-lettered
        lookalike = (
            b'{"data": {"type": "test.tally.bumped", "counter": "a"},'
            b' "type": "test.tally.reset", "id": "x"}'
        )
        poison = b'{"type": "test.tally.bumped", "data": {"counter": 5}}'
        last = TallyBumped(subject="b", data=Tally(counter="b"))
        for payload in (first.to_bytes(), lookalike, first.to_bytes(), poison, last.to_bytes()):
            await producer.send_and_wait(consumer.topic.name, payload, key=b"k")

        async def both_seen() -> bool:
            return await _values(consumer, tally) == {"a": 1, "b": 1}

        assert await wait_until(both_seen, timeout_s=60)
        dead = await _dead_letters_for(bootstrap_servers, consumer.topic.name, 1)
        assert [value for value, _ in dead] == [poison]
        assert dead[0][1]["x-consumer"] == b"kit-batch-test"
        assert (
            consumer.runtime.metrics.events_duplicate.labels(
                consumer.runtime.metrics.service, consumer.topic.name
            )._value.get()
            == 1
        )
        processed = consumer.runtime.metrics.events_processed.labels(
            consumer.runtime.metrics.service, consumer.topic.name, "test.tally.bumped"
        )
        assert processed._value.get() == 2


async def test_linger_gathers_events_arriving_within_the_window_into_one_batch(
    database_url: str, bootstrap_servers: str
) -> None:
    async with running(database_url, bootstrap_servers, linger_s=3.0) as (
        consumer,
        tally,
        batches,
        producer,
    ):
        warm_up = TallyBumped(subject="w", data=Tally(counter="w"))
        await producer.send_and_wait(consumer.topic.name, warm_up.to_bytes(), key=b"w")

        async def warmed() -> bool:
            return (await _values(consumer, tally)).get("w") == 1

        assert await wait_until(warmed, timeout_s=60)
        before = len(batches)
        # the consumer is idle and assigned; one event, then two more 0.5 s later on other
        # keys (other partitions): without the linger the first would be a batch alone
        for n, counter in enumerate(("x", "y", "z")):
            if n == 1:
                await asyncio.sleep(0.5)
            event = TallyBumped(subject=counter, data=Tally(counter=counter))
            await producer.send_and_wait(
                consumer.topic.name, event.to_bytes(), key=counter.encode()
            )

        async def all_applied() -> bool:
            return await _values(consumer, tally) == {"w": 1, "x": 1, "y": 1, "z": 1}

        assert await wait_until(all_applied, timeout_s=60)
        assert [sorted(batch) for batch in batches[before:]] == [["x", "y", "z"]]
