"""A constraint the database enforces is the message's fault, not an outage.

``DBAPIError`` (the base of ``IntegrityError``, ``DataError``, ``ProgrammingError``) was
taken for a database outage: the batch was rewound forever. Now only
:func:`services.kit.failures.is_transient` failures rewind; the event the database
refuses goes to the dead-letter topic and the batch's other events are applied.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from contracts.topics import DEAD_LETTER
from services.kit.batch_consumer import BatchConsumer, _process_or_set_aside
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata


def record(topic: str, value: bytes, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, offset, 0, 0, b"k", value, None, 1, len(value), [])


async def test_a_batch_consumer_dead_letters_the_event_the_database_refuses(
    database_url: str, bootstrap_servers: str
) -> None:
    metadata, tally = tally_metadata()
    topic = fresh_topic()
    runtime = ServiceRuntime(
        "kit_poison_test",
        metadata,
        settings=Settings(
            service="kit-poison-test",
            database_url=database_url,
            kafka_bootstrap_servers=bootstrap_servers,
        ),
    )

    async def bump(uow: UnitOfWork, events: list[TallyBumped]) -> None:
        for event in events:
            row = {"counter": event.data.counter, "value": 1}
            await uow.session.execute(tally.insert().values(**row))
            if event.data.counter.startswith("twice"):
                await uow.session.execute(tally.insert().values(**row))  # primary key!

    consumer = BatchConsumer(
        runtime, topic, TypeAdapter(TallyBumped), bump, name="kit-poison", accepts=(TallyBumped,)
    )
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await runtime.broker.start()
    marker = f"twice-{uuid.uuid4().hex[:8]}"
    try:
        events = [TallyBumped(subject=c, data=Tally(counter=c)) for c in ("a", marker, "b")]
        records = [record(topic.name, e.to_bytes(), i) for i, e in enumerate(events)]
        await consumer.process(records)  # returns: nothing rewound, nothing raised
        async with runtime.db.sessions() as session:
            counters = set(await session.scalars(select(tally.c.counter)))
        assert counters == {"a", "b"}

        reader = AIOKafkaConsumer(
            DEAD_LETTER.name, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
        )
        await reader.start()
        try:
            dead: list[dict[str, bytes]] = []
            deadline = asyncio.get_running_loop().time() + 20
            while not dead and asyncio.get_running_loop().time() < deadline:
                for batch in (await reader.getmany(timeout_ms=300)).values():
                    dead += [dict(r.headers) for r in batch if marker.encode() in (r.value or b"")]
        finally:
            await reader.stop()
        assert len(dead) == 1
        assert dead[0]["x-error"].startswith(b"IntegrityError")
        assert marker.encode() not in dead[0]["x-error"]  # no values in the error
    finally:
        await runtime.broker.stop()
        await runtime.sender.stop()
        await runtime.db.dispose()


async def test_the_batch_loop_sets_aside_what_process_still_raises() -> None:
    """The loop's safety net: a batch ``process`` raises on is processed record by
    record; the record that fails alone is handed to ``dead_letter``."""
    records = [record("t", value, i) for i, value in enumerate([b"a", b"poison", b"b"])]
    done: list[bytes] = []
    dead: list[tuple[bytes, str]] = []

    async def process(batch: list[ConsumerRecord[bytes, bytes]]) -> None:
        if any(r.value == b"poison" for r in batch):
            raise IntegrityError("INSERT ...", {"v": "poison"}, Exception())
        done.extend(r.value or b"" for r in batch)

    async def dead_letter(one: ConsumerRecord[bytes, bytes], error: str) -> None:
        dead.append((one.value or b"", error))

    await _process_or_set_aside(records, process, dead_letter, "group")
    assert done == [b"a", b"b"]
    assert [(value, error.split(" ")[0]) for value, error in dead] == [
        (b"poison", "IntegrityError")
    ]


async def test_the_batch_loop_rewinds_on_an_outage_and_without_a_dead_letter() -> None:
    records = [record("t", b"a", 0)]

    async def outage(_: Any) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    async def poison(_: Any) -> None:
        raise IntegrityError("INSERT ...", {}, Exception())

    async def never(*_: Any) -> None:
        raise AssertionError("an outage is never dead-lettered")

    with pytest.raises(OperationalError):
        await _process_or_set_aside(records, outage, never, "group")
    with pytest.raises(IntegrityError):
        await _process_or_set_aside(records, poison, None, "group")


class FakeMessage:
    """What ``EventConsumer.handle`` uses of a FastStream Kafka message."""

    def __init__(self, raw: ConsumerRecord[bytes, bytes]) -> None:
        self.raw_message = raw
        self.acked = 0
        self.nacked = 0

    async def ack(self) -> None:
        self.acked += 1

    async def nack(self) -> None:
        self.nacked += 1


async def test_a_single_message_consumer_shares_the_batch_consumers_policy(
    database_url: str, bootstrap_servers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FastStream subscriber's consumer applies the same :class:`EventPolicy`: an event
    the database refuses is dead-lettered and acked (the partition moves on), a redelivered
    event has one effect, another type is acked untouched, and an outage is retried and
    then rewound (nack), never dead-lettered."""
    from services.kit.consumer import EventConsumer

    metadata, tally = tally_metadata()
    topic = fresh_topic()
    runtime = ServiceRuntime(
        "kit_poison_test",
        metadata,
        settings=Settings(
            service="kit-poison-single",
            database_url=database_url,
            kafka_bootstrap_servers=bootstrap_servers,
        ),
    )
    outage = False

    async def bump(uow: UnitOfWork, event: TallyBumped) -> None:
        if outage:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError())
        row = {"counter": event.data.counter, "value": 1}
        await uow.session.execute(tally.insert().values(**row))
        if event.data.counter.startswith("twice"):
            await uow.session.execute(tally.insert().values(**row))  # primary key!

    consumer = EventConsumer(
        runtime=runtime,
        topic=topic,
        name="kit-poison-single",
        adapter=TypeAdapter(TallyBumped),
        handlers={TallyBumped: bump},
    )
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await runtime.broker.start()
    dead: list[tuple[bytes, str]] = []

    async def dead_letter(one: ConsumerRecord[bytes, bytes], error: str) -> None:
        dead.append((one.value or b"", error))

    monkeypatch.setattr(consumer.policy, "dead_letter", dead_letter)
    marker = f"twice-{uuid.uuid4().hex[:8]}"
    try:
        good = TallyBumped(subject="a", data=Tally(counter="a")).to_bytes()
        refused = TallyBumped(subject=marker, data=Tally(counter=marker)).to_bytes()
        other = good.replace(b'"test.tally.bumped"', b'"test.tally.reset"')
        assert other != good
        messages = [
            FakeMessage(record(topic.name, v, i))
            for i, v in enumerate([good, refused, good, other])
        ]
        for message in messages:
            await consumer.handle(message)  # type: ignore[arg-type]
        assert [(m.acked, m.nacked) for m in messages] == [(1, 0)] * 4
        async with runtime.db.sessions() as session:
            counters = list(await session.scalars(select(tally.c.counter)))
        assert counters == ["a"]  # once, though delivered twice; the refused one not at all
        assert [(value, error.split(" ")[0]) for value, error in dead] == [
            (refused, "IntegrityError")
        ]

        outage = True
        monkeypatch.setattr("services.kit.consumer.asyncio.sleep", _no_wait)
        late = FakeMessage(
            record(topic.name, TallyBumped(subject="b", data=Tally(counter="b")).to_bytes(), 9)
        )
        await consumer.handle(late)  # type: ignore[arg-type]
        assert (late.acked, late.nacked) == (0, 1)
        assert len(dead) == 1
    finally:
        await runtime.broker.stop()
        await runtime.sender.stop()
        await runtime.db.dispose()


async def _no_wait(_: float) -> None:
    return None
