"""``atr deadletter list|replay``: what the dead-letter topic holds, and sending it back.

Every entry on ``atr.deadletter.v1`` is a message a consumer set aside
(:mod:`services.kit.dead_letter`): the original key and bytes, and headers naming the
original topic, partition and offset, the consumer and the error. ``list`` prints one
line per entry: its id (``partition:offset`` on the dead-letter topic), where it came
from, who set it aside and why, and the payload's size, never the payload itself (the
error text names fields, not values). ``replay`` republishes the original key and bytes
to the original topic once the cause is fixed; consumers are idempotent on the event
id, so replaying an entry twice has one effect. A replayed record carries
``x-replayed-from`` with the entry's id. Entries stay on the dead-letter topic until
its retention removes them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from contracts.topics import ALL_TOPICS, DEAD_LETTER
from services.kit.kafka_clients import client_options
from services.kit.settings import Settings

REPLAYABLE_TOPICS = frozenset(topic.name for topic in ALL_TOPICS if topic != DEAD_LETTER)
"""Topics a replay may write to: the registry's, never the dead-letter topic itself."""

CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class DeadLetter:
    """One entry of the dead-letter topic."""

    id: str
    time: datetime
    original_topic: str
    original_partition: str
    original_offset: str
    consumer: str
    error: str
    key: bytes | None
    value: bytes

    def describe(self) -> str:
        """One line for an operator: no payload, only its size."""
        return (
            f"{self.id}  {self.time.isoformat(timespec='seconds')}  "
            f"{self.original_topic}[{self.original_partition}]@{self.original_offset}  "
            f"consumer={self.consumer}  bytes={len(self.value)}  error={self.error}"
        )


async def read_dead_letters(settings: Settings, topic: str | None = None) -> list[DeadLetter]:
    """Every entry on the dead-letter topic (from its first retained offset up to its
    end when called), optionally only those set aside from ``topic``."""
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(DEAD_LETTER.name) or set()
        if not partitions:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(DEAD_LETTER.name) or set()
        assigned = [TopicPartition(DEAD_LETTER.name, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        letters: list[DeadLetter] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            fetched = await consumer.getmany(*assigned, timeout_ms=1000)
            for tp, records in fetched.items():
                for record in records:
                    if record.offset < ends[tp]:
                        letters.append(_entry(record))
        return [letter for letter in letters if topic is None or letter.original_topic == topic]
    finally:
        await consumer.stop()


def _entry(record: ConsumerRecord[Any, Any]) -> DeadLetter:
    headers = {name: bytes(raw).decode(errors="replace") for name, raw in record.headers}
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        original_topic=headers.get("x-original-topic", "?"),
        original_partition=headers.get("x-original-partition", "?"),
        original_offset=headers.get("x-original-offset", "?"),
        consumer=headers.get("x-consumer", "?"),
        error=headers.get("x-error", ""),
        key=record.key,
        value=record.value or b"",
    )


async def replay(
    settings: Settings,
    letters: Iterable[DeadLetter],
    *,
    allowed_topics: Collection[str] = REPLAYABLE_TOPICS,
) -> list[DeadLetter]:
    """Republish each entry's original key and bytes to its original topic
    (``acks=all``) and return those sent; an entry whose original topic is not in
    ``allowed_topics`` is refused before anything is sent."""
    chosen = list(letters)
    refused = [letter for letter in chosen if letter.original_topic not in allowed_topics]
    if refused:
        raise ValueError(
            "not replayable (original topic unknown): "
            + ", ".join(f"{letter.id} -> {letter.original_topic}" for letter in refused)
        )
    producer = AIOKafkaProducer(**client_options(settings), acks="all", enable_idempotence=False)
    await producer.start()
    try:
        sent = [
            await producer.send(
                letter.original_topic,
                letter.value,
                key=letter.key,
                headers=[
                    ("content-type", CONTENT_TYPE.encode()),
                    ("x-replayed-from", letter.id.encode()),
                ],
            )
            for letter in chosen
        ]
        for future in sent:
            await future
    finally:
        await producer.stop()
    return chosen


async def list_command(settings: Settings, topic: str | None) -> int:
    """``atr deadletter list [--topic T]``: print the entries; exit 0."""
    letters = await read_dead_letters(settings, topic)
    for letter in letters:
        print(letter.describe())
    print(f"{len(letters)} dead letter(s)")
    return 0


async def replay_command(
    settings: Settings, ids: list[str], replay_all: bool, topic: str | None
) -> int:
    """``atr deadletter replay (--id ID ... | --all) [--topic T]``: republish the chosen
    entries; exit 1 when an id is not on the topic or an entry cannot be replayed."""
    letters = await read_dead_letters(settings, topic)
    if not replay_all:
        by_id = {letter.id: letter for letter in letters}
        unknown = [entry for entry in ids if entry not in by_id]
        if unknown:
            print(f"no such dead letter: {', '.join(unknown)}")
            return 1
        letters = [by_id[entry] for entry in ids]
    try:
        sent = await replay(settings, letters)
    except ValueError as exc:
        print(exc)
        return 1
    for letter in sent:
        print(f"replayed {letter.id} to {letter.original_topic}")
    print(f"{len(sent)} dead letter(s) replayed")
    return 0
