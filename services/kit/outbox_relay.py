"""The outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

Rows move ``not_published -> in_progress -> published`` (failures go back to
``not_published`` with the error). A row is *claimed* with a lease, so several processes
sharing one database (claim workers) never publish the same row concurrently, and a
crashed relay's rows are picked up again when the lease ends. Sends are pipelined
(``no_confirm``) and awaited together before rows are marked published (BROKER.md
"Publishing speed"). Consumers dedupe on the event id, so a re-publish after a crash
between send and mark is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update

from services.kit.database import Database
from services.kit.kafka_sender import KafkaSender
from services.kit.metrics import ServiceMetrics
from services.kit.schema import (
    OUTBOX_IN_PROGRESS,
    OUTBOX_NOT_PUBLISHED,
    OUTBOX_PUBLISHED,
    KitTables,
)

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves outbox rows of one service database onto Kafka."""

    def __init__(
        self,
        db: Database,
        tables: KitTables,
        sender: KafkaSender,
        metrics: ServiceMetrics,
        *,
        poll_interval_s: float = 0.2,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._db = db
        self._outbox = tables.outbox
        self._sender = sender
        self._metrics = metrics
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._lease = lease
        self._wake = asyncio.Event()
        self.instance_id = f"relay-{uuid.uuid4().hex[:12]}"

    def wake(self) -> None:
        """Ask the relay to look for rows now (called after a unit of work commits)."""
        self._wake.set()

    async def run(self) -> None:
        """Publish until cancelled; never dies on a broker or database error."""
        while True:
            try:
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                published = 0
                await asyncio.sleep(1.0)
            if published == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)

    async def publish_pending(self) -> int:
        """One pass: claim a batch, publish it, mark it. Returns rows published."""
        rows = await self._claim_batch()
        if not rows:
            return 0
        outcomes = await self._send(rows)
        ok = [row.seq for row, error in zip(rows, outcomes, strict=True) if error is None]
        failed = [(row.seq, error) for row, error in zip(rows, outcomes, strict=True) if error]
        async with self._db.sessions() as session, session.begin():
            if ok:
                await session.execute(
                    update(self._outbox)
                    .where(self._outbox.c.seq.in_(ok))
                    .values(status=OUTBOX_PUBLISHED, published_at=datetime.now(UTC))
                )
            for seq, error in failed:
                await session.execute(
                    update(self._outbox)
                    .where(self._outbox.c.seq == seq)
                    .values(
                        status=OUTBOX_NOT_PUBLISHED,
                        claimed_by=None,
                        attempts=self._outbox.c.attempts + 1,
                        last_error=error[:2000],
                    )
                )
            pending = await session.scalar(
                select(func.count())
                .select_from(self._outbox)
                .where(self._outbox.c.status.in_((OUTBOX_NOT_PUBLISHED, OUTBOX_IN_PROGRESS)))
            )
        self._metrics.outbox_pending.set(pending or 0)
        for row in rows:
            if row.seq in ok:
                self._metrics.outbox_published.labels(row.topic).inc()
        if failed:
            log.warning("outbox relay: %d rows failed to publish", len(failed))
        return len(ok)

    async def _claim_batch(self) -> Sequence[Row[Any]]:  # rows: seq, topic, key, payload, headers
        now = datetime.now(UTC)
        o = self._outbox
        claimable = or_(
            o.c.status == OUTBOX_NOT_PUBLISHED,
            and_(o.c.status == OUTBOX_IN_PROGRESS, o.c.claimed_at < now - self._lease),
        )
        async with self._db.sessions() as session, session.begin():
            query = select(o.c.seq).where(claimable).order_by(o.c.seq).limit(self._batch_size)
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            seqs = list((await session.scalars(query)).all())
            if not seqs:
                return []
            await session.execute(
                update(o)
                .where(o.c.seq.in_(seqs))
                .values(status=OUTBOX_IN_PROGRESS, claimed_by=self.instance_id, claimed_at=now)
            )
            result = await session.execute(
                select(o.c.seq, o.c.topic, o.c.message_key, o.c.payload, o.c.headers)
                .where(o.c.seq.in_(seqs))
                .order_by(o.c.seq)
            )
            rows: Sequence[Row[Any]] = result.all()  # type: ignore[assignment]
            return rows

    async def _send(self, rows: Sequence[Row[Any]]) -> list[str | None]:
        futures: list[asyncio.Future[Any] | None] = []
        errors: list[str | None] = []
        for row in rows:
            try:
                sent = await self._sender.send(
                    row.topic, row.message_key.encode(), row.payload, row.headers or {}
                )
                futures.append(sent)
                errors.append(None)
            except Exception as exc:
                futures.append(None)
                errors.append(f"{type(exc).__name__}: {exc}")
        for index, pending in enumerate(futures):
            if pending is None:
                continue
            try:
                await pending
            except Exception as exc:
                errors[index] = f"{type(exc).__name__}: {exc}"
        return errors
