"""Batched idempotent consumers: many events, one transaction, then the offsets.

For topics whose volume follows claim volume (adjudicated claims feeding voucher
balances), one transaction per message would cap throughput (issue 6 item 8:
"batching is the design"). :class:`BatchConsumer` takes up to ``max_records`` with
``getmany``, dead-letters what is not a valid event, records the batch's event ids in
the processed-events table and applies the new events in one unit of work, and only
then commits the offsets (BROKER.md rule 4). Redelivered events are skipped by id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import CommitFailedError, KafkaError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from contracts.envelope import Event
from contracts.topics import DEAD_LETTER, Topic
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

BatchHandler = Callable[[UnitOfWork, list[Any]], Awaitable[None]]


async def dead_letter_record(
    runtime: Any, record: ConsumerRecord[bytes, bytes], error: str, consumer: str
) -> None:
    """Publish a poison record's original bytes and the error to ``atr.deadletter.v1``."""
    await runtime.broker.publish(
        record.value or b"",
        DEAD_LETTER.name,
        key=record.key,
        headers={
            "x-error": error[:4000],
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
            "x-consumer": consumer,
        },
    )
    runtime.metrics.events_dead_lettered.labels(record.topic).inc()
    log.warning(
        "message dead-lettered (%s[%d]@%d) by %s",
        record.topic,
        record.partition,
        record.offset,
        consumer,
    )


class BatchConsumer:
    """One topic, one consumer group, applied in batches exactly once in effect."""

    def __init__(
        self,
        runtime: Any,
        topic: Topic,
        adapter: TypeAdapter[Any],
        handler: BatchHandler,
        *,
        name: str,
        accepts: tuple[type[Event], ...],
        max_records: int = 500,
    ) -> None:
        self.runtime = runtime
        self.topic = topic
        self.adapter = adapter
        self.handler = handler
        self.name = name
        self.accepts = accepts
        self.max_records = max_records

    async def run(self) -> None:
        """Consume until cancelled."""
        settings = self.runtime.settings
        consumer = AIOKafkaConsumer(
            self.topic.name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"atr-{self.runtime.service}.{self.topic.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        )
        await consumer.start()
        try:
            while True:
                fetched = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
                records = [r for tp in sorted(fetched, key=str) for r in fetched[tp]]
                if not records:
                    continue
                try:
                    await self.process(records)
                except (OperationalError, DBAPIError, ConnectionError) as exc:
                    log.error("database unavailable; %s batch redelivered: %s", self.name, exc)
                    for tp, batch in fetched.items():
                        consumer.seek(tp, batch[0].offset)
                    await asyncio.sleep(1.0)
                    continue
                try:
                    await consumer.commit({tp: b[-1].offset + 1 for tp, b in fetched.items()})
                except (CommitFailedError, KafkaError) as exc:
                    log.warning("%s: offset commit failed after rebalance: %s", self.name, exc)
        finally:
            await consumer.stop()

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate, dedupe and apply one batch in one transaction."""
        events: list[Event] = []
        for record in records:
            try:
                event = self.adapter.validate_json(record.value or b"")
            except ValidationError as exc:
                errors = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors(include_input=False, include_url=False)
                )
                await dead_letter_record(self.runtime, record, errors, self.name)
                continue
            if isinstance(event, self.accepts):
                events.append(event)
        if not events:
            return
        async with self.runtime.unit_of_work() as uow:
            fresh = await uow.first_time_many(
                self.name, self.topic.name, [str(e.id) for e in events]
            )
            new = list({str(e.id): e for e in events if str(e.id) in fresh}.values())
            if new:
                await self.handler(uow, new)
            await uow.commit()
        metrics = self.runtime.metrics
        metrics.events_duplicate.labels(self.topic.name).inc(len(events) - len(new))
        for event in new:
            metrics.events_processed.labels(self.topic.name, event.type).inc()
