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
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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


class EventConsumer:
    """Applies one topic's events to one service database, exactly once in effect."""

    def __init__(
        self,
        *,
        runtime: Any,
        topic: Topic,
        name: str,
        adapter: TypeAdapter[Any],
        handlers: dict[type[Event], EventHandler],
    ) -> None:
        self.runtime = runtime
        self.topic = topic
        self.name = name
        self.adapter = adapter
        self.handlers = handlers
        self.handled_types = {cls.model_fields["type"].default for cls in handlers}

    async def handle(self, message: KafkaMessage) -> None:
        """Process one Kafka message, then commit its offset (or rewind it)."""
        raw: bytes = message.body
        if names_another_type(raw, self.handled_types):
            await message.ack()
            return
        try:
            event = self.adapter.validate_json(raw)
        except ValidationError as exc:
            await self.dead_letter(message, describe_validation_error(exc))
            await message.ack()
            return
        handler = self.handlers.get(type(event))
        if handler is None:
            await message.ack()
            return
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                await self._apply(event, handler)
                break
            except Exception as exc:
                if not is_transient(exc):
                    error = describe_failure(exc)
                    log.error("event %s could not be applied (%s); dead-lettered", event.id, error)
                    await self.dead_letter(message, error)
                    break
                if attempt == TRANSIENT_RETRIES:
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

    async def _apply(self, event: Event, handler: EventHandler) -> None:
        async with self.runtime.unit_of_work() as uow:
            await self.runtime.begin_consumer_write(uow)
            if not await uow.first_time(self.name, self.topic.name, str(event.id)):
                self.runtime.metrics.events_duplicate.labels(
                    self.runtime.metrics.service, self.topic.name
                ).inc()
                return
            await handler(uow, event)
            await uow.commit()
        self.runtime.metrics.events_processed.labels(
            self.runtime.metrics.service, self.topic.name, event.type
        ).inc()

    async def dead_letter(self, message: KafkaMessage, error: str) -> None:
        """Publish the original bytes with the error to the dead-letter topic (acked)."""
        record = message.raw_message
        first = record[0] if isinstance(record, tuple) else record
        await dead_letter_record(self.runtime, first, error, self.name)


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
