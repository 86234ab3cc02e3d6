"""Batched idempotent consumers: many events, one transaction, then the offsets.

For topics whose volume follows claim volume (adjudicated claims feeding voucher
balances), one transaction per message would cap throughput: batching is the design
(batching where the volume is). :class:`BatchConsumer` takes up to ``max_records`` with
``getmany``, skips events of types it does not handle after a peek at their ``type``
(no full validation), dead-letters what is not a valid event, records the batch's event
ids in the processed-events table and applies the new events in one unit of work, and
only then commits the offsets (docs/embedded-broker.md rule 4). Redelivered events are
skipped by id.
If applying the batch fails for any reason but an infrastructure outage
(:func:`services.kit.failures.is_transient`: a constraint or a value the database
refuses is the event's fault, not an outage), the events are applied one by one, each in
its own unit of work, and the one that fails goes to the dead-letter topic with its
error: one poison event never stalls the partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from pydantic import TypeAdapter

from contracts.envelope import Event
from contracts.topics import Topic
from services.kit.consumer import BatchHandler, EventPolicy
from services.kit.failures import describe_failure, is_transient
from services.kit.kafka_clients import client_options
from services.kit.metrics import ServiceMetrics

log = logging.getLogger(__name__)

__all__ = ["BatchConsumer", "BatchHandler", "consume_in_batches"]

RecordBatchProcessor = Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[Any]]

RecordDeadLetter = Callable[[ConsumerRecord[bytes, bytes], str], Awaitable[None]]
"""Sets one record aside with its error (``dead_letter_record`` bound to a runtime)."""


async def consume_in_batches(
    settings: Any,
    topic: str,
    *,
    group_id: str,
    max_records: int,
    process: RecordBatchProcessor,
    linger_s: float = 0.0,
    metrics: ServiceMetrics | None = None,
    dead_letter: RecordDeadLetter | None = None,
) -> None:
    """The batch loop every batched consumer shares (docs/embedded-broker.md rules 2 and 4).

    ``getmany`` up to ``max_records``, hand them to ``process`` in partition order, then
    commit the offsets. With ``linger_s`` the loop keeps fetching for up to that long
    after the first record arrives (or until ``max_records``), so a consumer whose work
    is per key rather than per record does it once for many records. An infrastructure
    outage (:func:`~services.kit.failures.is_transient`) rewinds the batch (seek) so
    nothing is lost. ``process`` sets poison aside itself (dead letters); should it
    still raise anything else, the records are processed one at a time and each one
    that fails alone is handed to ``dead_letter`` — without one, the error stops the
    loop. A failed commit after a rebalance is logged, the new owner gets the records
    again and ``process`` must skip what it already wrote. With ``metrics`` (the
    service's) the number of partitions held is kept in ``partitions_assigned``. Runs
    until cancelled.
    """
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )
    await consumer.start()
    try:
        while True:
            fetched = await consumer.getmany(timeout_ms=200, max_records=max_records)
            if metrics is not None:
                metrics.partitions_assigned.labels(metrics.service, group_id).set(
                    len(consumer.assignment())
                )
                metrics.record_lag(group_id, await _lag(consumer))
            if fetched and linger_s > 0:
                fetched = await _fetch_more(consumer, fetched, max_records, linger_s)
            ordered = sorted(fetched, key=lambda tp: (tp.topic, tp.partition))
            records = [r for tp in ordered for r in fetched[tp]]
            if not records:
                continue
            try:
                await _process_or_set_aside(records, process, dead_letter, group_id)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.error(
                    "infrastructure unavailable; %s batch redelivered: %s",
                    group_id,
                    describe_failure(exc),
                )
                for tp, batch in fetched.items():
                    consumer.seek(tp, batch[0].offset)
                await asyncio.sleep(1.0)
                continue
            try:
                await consumer.commit({tp: b[-1].offset + 1 for tp, b in fetched.items()})
            except (CommitFailedError, KafkaError) as exc:
                log.warning("%s: offset commit failed after rebalance: %s", group_id, exc)
    finally:
        await consumer.stop()


async def _lag(consumer: AIOKafkaConsumer) -> dict[tuple[str, int], int]:
    """High watermark minus position of each held partition whose watermark the last
    fetch reported (the records of the batch in hand are already past the position)."""
    lags: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is not None:
            lags[(tp.topic, tp.partition)] = max(highwater - await consumer.position(tp), 0)
    return lags


async def _process_or_set_aside(
    records: list[ConsumerRecord[bytes, bytes]],
    process: RecordBatchProcessor,
    dead_letter: RecordDeadLetter | None,
    group_id: str,
) -> None:
    """``process`` the batch; if it raises anything but an outage, each record alone,
    and dead-letter the records that fail alone (the safety net behind ``process``'s
    own poison handling). Outages propagate: the caller rewinds the batch."""
    try:
        await process(records)
        return
    except Exception as exc:
        if is_transient(exc) or dead_letter is None:
            raise
        log.error(
            "%s: batch failed (%s); processing its records one by one",
            group_id,
            describe_failure(exc),
        )
    for record in records:
        try:
            await process([record])
        except Exception as exc:
            if is_transient(exc):
                raise
            await dead_letter(record, describe_failure(exc))


async def _fetch_more(
    consumer: AIOKafkaConsumer,
    fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    max_records: int,
    linger_s: float,
) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
    """``fetched`` plus what arrives within ``linger_s``, up to ``max_records`` in all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + linger_s
    batch = {tp: list(records) for tp, records in fetched.items()}
    count = sum(len(records) for records in batch.values())
    while count < max_records:
        remaining_ms = int((deadline - loop.time()) * 1000)
        if remaining_ms <= 0:
            break
        more = await consumer.getmany(timeout_ms=remaining_ms, max_records=max_records - count)
        for tp, records in more.items():
            batch.setdefault(tp, []).extend(records)
            count += len(records)
    return batch


class BatchConsumer:
    """One topic, one consumer group, applied in batches exactly once in effect, under
    the :class:`~services.kit.consumer.EventPolicy` every consumer shares."""

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
        linger_s: float = 0.0,
    ) -> None:
        self.runtime = runtime
        self.topic = topic
        self.name = name
        self.policy = EventPolicy(runtime, topic, name, adapter, accepts, handler)
        self.max_records = max_records
        self.linger_s = linger_s
        runtime.document_batch_consumer(
            topic, name, self.group_id, tuple(sorted(self.policy.accepted_types))
        )

    @property
    def group_id(self) -> str:
        """The consumer group: one per service and topic."""
        return f"atr-{self.runtime.service}.{self.topic.name}"

    async def run(self) -> None:
        """Consume until cancelled."""
        await consume_in_batches(
            self.runtime.settings,
            self.topic.name,
            group_id=self.group_id,
            max_records=self.max_records,
            process=self.process,
            linger_s=self.linger_s,
            metrics=self.runtime.metrics,
            dead_letter=self.policy.dead_letter,
        )

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate, dedupe and apply one batch in one transaction (the shared policy)."""
        await self.policy.process(records)
