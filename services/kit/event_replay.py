"""Refill an empty broker from the services' outboxes: the databases are the source of truth.

The embedded broker keeps topics and committed offsets in memory
(docs/embedded-broker.md), so every start of ``atr up`` begins with empty topics while
each service's database survives in the embedded PostgreSQL. Every event a service ever
published is still a row of its outbox (rows are marked published, never deleted), so
before any service starts the launcher sends each database's outbox again, oldest row
first, onto the fresh broker (:func:`replay_outbox`):

- the topics then hold every event in each producer's commit order, exactly as a
  durable broker would have kept them; events that were committed but not yet sent when
  the platform stopped (rows still ``not_published`` or ``in_progress``) go out in their
  place in that order and are marked published, so no relay sends them a second time;
- the consumer groups start again from ``earliest`` (their offsets were in the broker)
  and skip what they already applied: every consumer is idempotent by event id
  (the processed-events table), the claim workers by claim id, the replicas by version;
- reporting's rebuild, which reads every topic from the beginning, sees the same events
  as before the stop.

Records keep their key (so their partition), value and headers; only their offsets
change, and no state of the platform refers to an offset. Outbox rows and processed
event ids must therefore be kept for as long as each other: neither is pruned today, and
a future retention job must prune both to the same horizon.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, inspect, select, update
from sqlalchemy.exc import DBAPIError

from services.kit.database import Database
from services.kit.kafka_sender import KafkaSender
from services.kit.outbox_relay import kafka_headers
from services.kit.schema import OUTBOX_PUBLISHED, add_kit_tables

log = logging.getLogger(__name__)

CHUNK = 5000
"""Outbox rows read, sent and acknowledged per round (memory stays bounded)."""


@dataclass(frozen=True)
class Replayed:
    """What one database's replay sent."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        """Events per second (0 for an empty outbox)."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def replay_outbox(
    database_url: str, bootstrap_servers: str, security: dict[str, Any] | None = None
) -> Replayed:
    """Send every outbox row of one service database to the broker, in ``seq`` order,
    then mark them all published.

    A database that does not exist yet, or has no outbox table yet (a first start: the
    service creates it when it migrates), has nothing to replay. The caller runs this
    before the service's processes start, so no relay is sending meanwhile.
    """
    started = time.perf_counter()
    db = Database(database_url)
    sender = KafkaSender(bootstrap_servers, security=security)
    try:
        if not await _has_outbox(db):
            return Replayed(0, time.perf_counter() - started)
        outbox = add_kit_tables(MetaData()).outbox
        sent = 0
        last_seq: int | None = None
        while True:
            query = (
                select(
                    outbox.c.seq,
                    outbox.c.topic,
                    outbox.c.message_key,
                    outbox.c.payload,
                    outbox.c.headers,
                )
                .order_by(outbox.c.seq)
                .limit(CHUNK)
            )
            if last_seq is not None:
                query = query.where(outbox.c.seq > last_seq)
            async with db.read_sessions() as session:
                rows = (await session.execute(query)).all()
            if not rows:
                break
            acks = [
                await sender.send(
                    row.topic,
                    row.message_key.encode(),
                    row.payload,
                    kafka_headers(row.headers or {}),
                )
                for row in rows
            ]
            await asyncio.gather(*acks)
            sent += len(rows)
            last_seq = rows[-1].seq
        if last_seq is not None:
            async with db.sessions() as session, session.begin():
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq <= last_seq, outbox.c.status != OUTBOX_PUBLISHED)
                    .values(
                        status=OUTBOX_PUBLISHED,
                        claimed_by=None,
                        published_at=datetime.now(UTC),
                    )
                )
        return Replayed(sent, time.perf_counter() - started)
    finally:
        await sender.stop()
        await db.dispose()


async def _has_outbox(db: Database) -> bool:
    """True when the database exists and holds an outbox table."""
    try:
        async with db.engine.connect() as connection:
            return bool(await connection.run_sync(lambda sync: inspect(sync).has_table("outbox")))
    except DBAPIError as exc:
        if "does not exist" in str(exc.orig):
            log.info("no database yet at %s: nothing to replay", db.engine.url.database)
            return False
        raise
