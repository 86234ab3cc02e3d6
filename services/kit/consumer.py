"""Idempotent event consumers with a dead-letter topic.

``subscribe_events`` registers a FastStream subscriber (manual acks, ``earliest``) whose
handler runs inside a unit of work guarded by the processed-events table, so a redelivered
event has exactly one effect. Offsets are committed only after the database commit
(docs/embedded-broker.md rule 4).

Failure policy (SPEC §5 Reliability):
- a message that is not a valid event of the topic, or whose handling raises anything
  but an infrastructure outage (:func:`services.kit.failures.is_transient`; a
  constraint or value the database refuses is the message's fault), goes to
  ``atr.deadletter.v1`` with the error (no values) and the original bytes, then is
  committed: the consumer keeps going;
- fields a consumer's model does not know, in the envelope or in ``data`` (a newer
  producer's additive change), are ignored (:class:`contracts.envelope.EventData`);
- an event type this consumer does not know (a newer producer's additive event), or
  knows but does not handle, is committed and ignored; a handled-or-not type is read
  from the body first, so an ignored event costs a peek, not a full validation (the
  consumers that do handle it are the ones that dead-letter it if it is malformed);
- an outage (database or broker unreachable, a lock, a timeout) is retried with
  backoff and, if it persists, the message is nacked (the offset is rewound) so
  nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from contracts.envelope import Event
from contracts.topics import Topic
from services.kit.dead_letter import dead_letter_record, describe_validation_error
from services.kit.failures import describe_failure, is_transient
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]

TRANSIENT_RETRIES = 5


class _TypeOnly(BaseModel):
    """The envelope's ``type``, read without validating the rest of the body."""

    model_config = ConfigDict(extra="ignore")
    type: str


TYPE_HINT = re.compile(rb'"type"\s*:\s*"([^"\\]+)"')


def type_hint(raw: bytes) -> str | None:
    """The first ``"type": "..."`` in a body: usually the envelope's, found without a parse.

    Only a hint (JSON does not order keys, and ``data`` could hold a ``type`` of its
    own): a consumer may use it to go straight to full validation, whose result is
    authoritative, never to skip an event; skipping needs :func:`event_type_of`.
    """
    found = TYPE_HINT.search(raw)
    return found.group(1).decode() if found else None


def event_type_of(raw: bytes) -> str | None:
    """The ``type`` an event body names, or None when it is not even an envelope."""
    try:
        return _TypeOnly.model_validate_json(raw).type
    except ValidationError:
        return None


def names_another_type(raw: bytes, handled: set[str]) -> bool:
    """Whether the body's envelope names a type outside ``handled`` (exact peek).

    A body that is not even an envelope names none: full validation dead-letters it.
    """
    named = event_type_of(raw)
    return named is not None and named not in handled


BatchHandler = Callable[[UnitOfWork, list[Any]], Awaitable[None]]
"""Applies a batch of new events (in their order) inside the consumer's unit of work."""


def dispatching(handlers: dict[type[Event], EventHandler]) -> BatchHandler:
    """A batch handler that applies each event with its type's handler, in order."""

    async def apply(uow: UnitOfWork, events: list[Any]) -> None:
        for event in events:
            await handlers[type(event)](uow, event)

    return apply


class EventPolicy:
    """The one error policy of every event consumer, one message or a batch at a time.

    :meth:`process` takes the records a consumer received (one, for a FastStream
    subscriber; up to a batch, for :class:`~services.kit.batch_consumer.BatchConsumer`)
    and applies the failure policy of this module's docstring: other types skipped after
    a peek, invalid events dead-lettered, already-processed ids skipped, the new events
    applied in one unit of work with their ids recorded; if applying fails for anything
    but an outage, the events are applied one by one and the one that fails alone is
    dead-lettered. Only an outage (:func:`~services.kit.failures.is_transient`)
    propagates, and the caller redelivers (nack, or the batch loop's seek).
    """

    def __init__(
        self,
        runtime: Any,
        topic: Topic,
        name: str,
        adapter: TypeAdapter[Any],
        accepts: tuple[type[Event], ...],
        handler: BatchHandler,
    ) -> None:
        self.runtime = runtime
        self.topic = topic
        self.name = name
        self.adapter = adapter
        self.accepts = accepts
        self.accepted_types = {cls.model_fields["type"].default for cls in accepts}
        self.handler = handler

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate, dedupe and apply ``records`` in one transaction; never raises for a
        message, only for an outage."""
        received: list[tuple[Event, ConsumerRecord[bytes, bytes]]] = []
        for record in records:
            raw = record.value or b""
            if type_hint(raw) not in self.accepted_types and names_another_type(
                raw, self.accepted_types
            ):
                continue  # a type this consumer does not handle: not ours to judge
            try:
                event = self.adapter.validate_json(raw)
            except ValidationError as exc:
                if names_another_type(raw, self.accepted_types):
                    continue  # the hint was a nested "type"; the envelope names another
                await self.dead_letter(record, describe_validation_error(exc))
                continue
            if isinstance(event, self.accepts):
                received.append((event, record))
        if not received:
            return
        try:
            await self._apply(received)
            return
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(received) == 1:
                await self._set_aside(*received[0], exc)
                return
            log.warning(
                "%s: batch failed (%s); applying its events one by one",
                self.name,
                describe_failure(exc),
            )
        for event, record in received:
            try:
                await self._apply([(event, record)])
            except Exception as alone:
                if is_transient(alone):
                    raise
                await self._set_aside(event, record, alone)

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        """Publish the original bytes with the error to the dead-letter topic."""
        await dead_letter_record(self.runtime, record, error, self.name)

    async def _set_aside(
        self, event: Event, record: ConsumerRecord[bytes, bytes], exc: Exception
    ) -> None:
        error = describe_failure(exc)
        log.error("event %s could not be applied (%s); dead-lettered", event.id, error)
        await self.dead_letter(record, error)

    async def _apply(self, received: Sequence[tuple[Event, Any]]) -> None:
        """Apply the events not seen before in one unit of work."""
        by_id = {str(event.id): event for event, _ in received}
        async with self.runtime.unit_of_work() as uow:
            await self.runtime.begin_consumer_write(uow)
            fresh = await uow.first_time_many(self.name, self.topic.name, list(by_id))
            new = [event for event_id, event in by_id.items() if event_id in fresh]
            if new:
                await self.handler(uow, new)
            await uow.commit()
        metrics = self.runtime.metrics
        if len(received) > len(new):
            metrics.events_duplicate.labels(metrics.service, self.topic.name).inc(
                len(received) - len(new)
            )
        for event_type, count in Counter(event.type for event in new).items():
            metrics.events_processed.labels(metrics.service, self.topic.name, event_type).inc(count)


class EventConsumer:
    """A FastStream subscriber applying one topic's events, one message at a time, under
    the :class:`EventPolicy` every consumer shares."""

    def __init__(
        self,
        *,
        runtime: Any,
        topic: Topic,
        name: str,
        adapter: TypeAdapter[Any],
        handlers: dict[type[Event], EventHandler],
    ) -> None:
        self.topic = topic
        self.name = name
        self.policy = EventPolicy(
            runtime, topic, name, adapter, tuple(handlers), dispatching(handlers)
        )

    async def handle(self, message: KafkaMessage) -> None:
        """Process one Kafka message, then commit its offset; on an outage that outlasts
        the retries, rewind it (nack) so nothing is lost."""
        raw_message = message.raw_message
        record = raw_message[0] if isinstance(raw_message, tuple) else raw_message
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                await self.policy.process([record])
                break
            except Exception as exc:
                if not is_transient(exc) or attempt == TRANSIENT_RETRIES:
                    log.error(
                        "infrastructure unavailable; rewinding %s: %s",
                        self.topic.name,
                        describe_failure(exc),
                    )
                    await asyncio.sleep(1.0)
                    await message.nack()
                    return
                await asyncio.sleep(0.2 * 2**attempt)
        await message.ack()


def subscribe_events(
    broker: KafkaBroker,
    consumer: EventConsumer,
    *,
    group_id: str,
    session_timeout_ms: int,
    heartbeat_interval_ms: int,
) -> None:
    """Register ``consumer`` on ``broker`` for its topic with manual, post-commit acks."""

    @broker.subscriber(
        consumer.topic.name,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        title=f"{consumer.topic.name}:{consumer.name}",
        description=f"{consumer.name} consumes {consumer.topic.description}",
    )
    async def on_topic(message: KafkaMessage) -> None:
        await consumer.handle(message)
