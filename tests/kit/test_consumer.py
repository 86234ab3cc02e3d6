"""Idempotent consumer + dead-letter topic against the real broker, on both databases.

SPEC §2 "Delivery" and §5 "Reliability": a redelivered event has one effect; a malformed
message goes to the dead-letter topic with its error and never stops the consumer.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import TypeAdapter
from sqlalchemy import select, update

from contracts.topics import DEAD_LETTER
from services.kit.broker import ensure_topics
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork
from tests.infrastructure import wait_until
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata


async def test_duplicates_have_one_effect_and_poison_goes_to_dead_letter(
    database_url: str, bootstrap_servers: str
) -> None:
    metadata, tally = tally_metadata()
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    settings = Settings(
        service="kit-test",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_session_timeout_ms=6000,
        kafka_heartbeat_interval_ms=2000,
    )
    runtime = ServiceRuntime("kit_test", metadata, settings=settings)

    async def bump(uow: UnitOfWork, event: TallyBumped) -> None:
        changed = await uow.session.execute(
            update(tally)
            .where(tally.c.counter == event.data.counter)
            .values(value=tally.c.value + 1)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            await uow.session.execute(tally.insert().values(counter=event.data.counter, value=1))

    runtime.consume(topic, TypeAdapter(TallyBumped), {TallyBumped: bump}, name="kit-test")
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

    first = TallyBumped(subject="c", data=Tally(counter="c"))
    second = TallyBumped(subject="c", data=Tally(counter="c"))
    poison = b'{"type": "test.tally.bumped", "data": {"counter": 5}}'
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    await runtime.broker.start()
    try:
        # a type this consumer does not handle, malformed data and all: acked and
        # ignored (peeked, not validated), so it must not reach the dead-letter topic
        other = b'{"type": "test.tally.reset", "id": "x", "data": {"counter": 5}}'
        payloads = (other, first.to_bytes(), first.to_bytes(), poison, b"not json")
        # a newer producer's envelope attribute is ignored, not a poison message
        newer = second.to_bytes().removesuffix(b"}") + b', "futureattribute": "x"}'
        for payload in (*payloads, newer):
            await producer.send_and_wait(topic.name, payload, key=b"c")

        async def tally_value() -> int | None:
            async with runtime.db.sessions() as session:
                return await session.scalar(select(tally.c.value).where(tally.c.counter == "c"))

        assert await wait_until(lambda: _equals(tally_value, 2), timeout_s=60)
        dead = await _dead_letters_for(bootstrap_servers, topic.name, 2)
        assert sorted(value for value, _ in dead) == sorted([poison, b"not json"])
        for _, headers in dead:
            assert headers["x-consumer"] == b"kit-test"
            assert headers["x-error"]
        errors = {value: headers["x-error"].decode() for value, headers in dead}
        assert "data.counter" in errors[poison]
        assert (
            runtime.metrics.events_duplicate.labels(
                runtime.metrics.service, topic.name
            )._value.get()
            == 1
        )
        assert await tally_value() == 2  # the duplicate of `first` had no effect
    finally:
        await producer.stop()
        await runtime.broker.stop()
        await runtime.db.dispose()


async def _equals(probe, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await probe() == expected)


async def _dead_letters_for(
    bootstrap: str, original_topic: str, count: int
) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        DEAD_LETTER.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        found: list[tuple[bytes, dict[str, bytes]]] = []
        for _ in range(100):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    headers = dict(record.headers)
                    if headers.get("x-original-topic") == original_topic.encode():
                        found.append((record.value, headers))
            if len(found) >= count:
                break
        return found
    finally:
        await consumer.stop()
