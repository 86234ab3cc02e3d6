"""``atr deadletter list|replay`` on the real broker: entries written the way every
consumer writes them are listed without their payload and replayed, original key and
bytes, to their original topic."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream.kafka import KafkaBroker

from services.kit import dead_letter_cli
from services.kit.broker import ensure_topics
from services.kit.dead_letter import dead_letter_record
from services.kit.metrics import ServiceMetrics
from services.kit.settings import Settings
from tests.kit.events import fresh_topic

PAYLOAD_SECRET = b"Jane Roe"


async def _records_on(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await reader.start()
    try:
        received: list[tuple[bytes, bytes]] = []
        deadline = asyncio.get_running_loop().time() + 20
        while len(received) < count and asyncio.get_running_loop().time() < deadline:
            for batch in (await reader.getmany(timeout_ms=300)).values():
                received += [(r.key or b"", r.value or b"") for r in batch]
        return received
    finally:
        await reader.stop()


async def test_list_and_replay(bootstrap_servers: str, capsys: pytest.CaptureFixture[str]) -> None:
    topic = fresh_topic()
    await ensure_topics(bootstrap_servers, [topic])
    broker = KafkaBroker(bootstrap_servers)
    await broker.start()
    runtime = SimpleNamespace(broker=broker, metrics=ServiceMetrics.create("kit-test"))
    values = [b'{"id": "e1", "name": "' + PAYLOAD_SECRET + b'"}', b"not json"]
    try:
        for offset, value in enumerate(values):
            record = ConsumerRecord(
                topic.name, 2, offset, 0, 0, f"k{offset}".encode(), value, None, 2, 9, []
            )
            await dead_letter_record(runtime, record, "data.id: field required", "kit-test")
    finally:
        await broker.stop()

    settings = Settings(kafka_bootstrap_servers=bootstrap_servers)
    letters = await dead_letter_cli.read_dead_letters(settings, topic.name)
    assert [(d.original_partition, d.original_offset) for d in letters] == [("2", "0"), ("2", "1")]
    assert all(d.consumer == "kit-test" and "field required" in d.error for d in letters)

    assert await dead_letter_cli.list_command(settings, topic.name) == 0
    listed = capsys.readouterr().out
    assert "2 dead letter(s)" in listed
    assert letters[0].id in listed
    assert PAYLOAD_SECRET.decode() not in listed

    allowed = {topic.name}
    with pytest.raises(ValueError, match="not replayable"):
        await dead_letter_cli.replay(settings, letters)  # a topic outside the registry
    await dead_letter_cli.replay(settings, letters[:1], allowed_topics=allowed)
    assert await _records_on(bootstrap_servers, topic.name, 1) == [(b"k0", values[0])]

    await dead_letter_cli.replay(settings, letters, allowed_topics=allowed)
    replayed = await _records_on(bootstrap_servers, topic.name, 3)
    assert sorted(replayed) == sorted([(b"k0", values[0]), (b"k0", values[0]), (b"k1", values[1])])


async def test_replay_of_an_unknown_id_fails(bootstrap_servers: str) -> None:
    settings = Settings(kafka_bootstrap_servers=bootstrap_servers)
    assert await dead_letter_cli.replay_command(settings, ["0:999999999"], False, None) == 1
