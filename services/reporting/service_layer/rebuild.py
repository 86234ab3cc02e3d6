"""``atr reporting rebuild``: empty the read models and replay every topic reporting
reads from its beginning (SPEC §3.6: reports rebuilt from the topics give the same
numbers).

Within the embedded broker's rules (docs BROKER.md): the replay reads with its own
consumer, no group, partitions assigned and sought to the beginning (``earliest``), and
knows it is done when each partition's position has reached the high watermark the
broker reported in its fetch responses (``consumer.highwater``), never from
``end_offsets``. Each fetched batch is applied in one unit of work through the same
:data:`PROJECTIONS` the service's consumers use, recording the events in the
processed-events table under the consumers' names: when the reporting service consumes
on from its committed offsets, every event the replay applied is skipped by id, so
nothing counts twice. It may run while the reporting service consumes: on PostgreSQL
the consumers wait for it (:mod:`~services.reporting.adapters.rebuild_lock`) and then go on
from their committed offsets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import delete

from contracts.envelope import Event
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import READ_MODELS, metadata
from services.reporting.adapters.outcomes_orm import OUTCOME_READ_MODELS
from services.reporting.adapters.rebuild_lock import rebuilding
from services.reporting.service_layer.projections import PROJECTIONS, Projection, apply_events

log = logging.getLogger(__name__)


@dataclass
class ReplayCount:
    """What a replay read and applied, per topic."""

    read: int = 0
    applied: int = 0
    skipped: int = 0


async def reset_read_models(
    uow: UnitOfWork, projections: Sequence[Projection] = PROJECTIONS
) -> None:
    """Empty every read model and forget which events reporting's consumers applied
    (their processed-events rows), so a replay applies every event again. The caller
    commits."""
    for table in (*READ_MODELS, *OUTCOME_READ_MODELS):
        await uow.session.execute(delete(table))
    processed = add_kit_tables(metadata).processed_events
    await uow.session.execute(
        delete(processed).where(processed.c.consumer.in_([p.consumer for p in projections]))
    )


async def replay_topic(
    bootstrap_servers: str,
    projection: Projection,
    units_of_work: Callable[[], UnitOfWork],
    *,
    timeout_s: float = 300.0,
    max_records: int = 2000,
    security: Mapping[str, Any] | None = None,
) -> ReplayCount:
    """Apply every event of ``projection``'s topic from the beginning up to the high
    watermark each partition had when the replay reached it (TimeoutError when it
    cannot get there within ``timeout_s``)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        **(security or {}),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    count = ReplayCount()
    try:
        partitions = sorted(consumer.partitions_for_topic(projection.topic.name) or set())
        if not partitions:
            await consumer.force_metadata_update()
            partitions = sorted(consumer.partitions_for_topic(projection.topic.name) or set())
        assigned = [TopicPartition(projection.topic.name, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            fetched = await consumer.getmany(timeout_ms=500, max_records=max_records)
            events: list[Event] = []
            for tp in sorted(fetched, key=lambda t: t.partition):
                for record in fetched[tp]:
                    count.read += 1
                    try:
                        event = projection.adapter.validate_json(record.value or b"")
                    except ValidationError:
                        count.skipped += 1  # not ours, or dead-lettered by the consumer
                        continue
                    events.append(event)
            if events:
                async with units_of_work() as uow:
                    count.applied += await apply_events(uow, projection, events, replaying=True)
                    await uow.commit()
            if await _caught_up(consumer, assigned):
                return count
            if loop.time() > deadline:
                raise TimeoutError(f"{projection.topic.name}: replay did not reach the end")
    finally:
        await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, assigned: list[TopicPartition]) -> bool:
    """Every partition's position is at its high watermark (known from a fetch)."""
    for tp in assigned:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True


async def rebuild(
    bootstrap_servers: str,
    units_of_work: Callable[[], UnitOfWork],
    projections: Sequence[Projection] = PROJECTIONS,
    *,
    db: Database | None = None,
    security: Mapping[str, Any] | None = None,
) -> dict[str, ReplayCount]:
    """Empty the read models, then replay every topic in :data:`PROJECTIONS` order
    (claims before payments: a funding adjustment finds its line). Given the database
    (``db``), the whole run holds the rebuild lock, so the service's consumers wait;
    ``security`` are the TLS/SASL client options (``kafka_clients.security_options``)."""
    async with rebuilding(db) if db is not None else nullcontext():
        async with units_of_work() as uow:
            await reset_read_models(uow, projections)
            await uow.commit()
        counts: dict[str, ReplayCount] = {}
        for projection in projections:
            counts[projection.topic.name] = await replay_topic(
                bootstrap_servers, projection, units_of_work, security=security
            )
            log.info("replayed %s: %s", projection.topic.name, counts[projection.topic.name])
    return counts
