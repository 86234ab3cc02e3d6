"""The outbox relay: publishes committed outbox rows to Kafka, at least once.

Rows move ``not_published -> in_progress -> published`` (failures go back to
``not_published`` with the error). A row in progress carries a lease (``claimed_by``,
``claimed_at``), so several processes sharing one database (claim workers) never publish
the same row concurrently, and a crashed relay's rows are picked up again when the
lease ends.

Two ways in, one way out:

- **on commit** (the normal path): a unit of work writes its rows already leased to this
  relay and hands them over after the commit (:meth:`OutboxRelay.publish_committed`,
  which returns at once); the send loop queues them on the producer in commit order,
  without reading them back.
- **polling** (the safety net): :meth:`OutboxRelay.publish_pending` claims rows nobody
  holds (``not_published``, or a lease that ended) in ``seq`` order and queues them.

Every record goes out as a CloudEvents structured-mode message: the row's JSON as the
value, its ``traceparent`` and ``content-type: application/cloudevents+json`` as headers
(added here, so rows stored before that header existed carry it as well). Rows store the
serialised event, so a row written by an older release is published as it was written
(for example with an envelope attribute since renamed); consumers ignore attributes
they do not know, so such an event is still read.

Sends are pipelined and their acknowledgements awaited together (docs/embedded-broker.md "Publishing
speed"); one confirmation loop then marks everything acknowledged so far as published in
one transaction, so a burst of commits costs one write, not one per commit. Consumers
dedupe on the event id, so a re-publish after a crash between send and mark is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import STRUCTURED_CONTENT_TYPE
from services.kit.database import Database
from services.kit.kafka_sender import KafkaSender
from services.kit.metrics import ServiceMetrics
from services.kit.schema import (
    OUTBOX_IN_PROGRESS,
    OUTBOX_NOT_PUBLISHED,
    OUTBOX_PUBLISHED,
    KitTables,
)
from services.kit.unit_of_work import OutboxRecord

log = logging.getLogger(__name__)

GAUGE_INTERVAL_S = 5.0
"""How often an idle polling pass refreshes the pending-rows gauge (a count query)."""

CONTENT_TYPE = "content-type"
"""The Kafka header naming the event format (CloudEvents Kafka protocol binding)."""

MARK_MAX = 5000
"""Rows marked published in one transaction at most."""

MARK_CHUNK = MARK_MAX
"""Event ids per ``UPDATE … WHERE event_id IN (…)``: one statement a mark (SQLite takes
32,766 bound variables, PostgreSQL 32,767)."""


@dataclass
class _Sent:
    """One queued record: its broker acknowledgement, or the error that stopped it."""

    record: OutboxRecord
    ack: asyncio.Future[Any] | None
    error: str | None = None


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
        mark_interval_s: float = 0.5,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._db = db
        self._outbox = tables.outbox
        self._sender = sender
        self._metrics = metrics
        self._poll_interval_s = poll_interval_s
        self._mark_interval_s = mark_interval_s
        self._batch_size = batch_size
        self._lease = lease
        self._wake = asyncio.Event()
        self._committed: asyncio.Queue[Sequence[OutboxRecord]] = asyncio.Queue()
        self._sent: asyncio.Queue[list[_Sent]] = asyncio.Queue()
        self._instance_id = f"relay-{uuid.uuid4().hex[:12]}"
        self._gauge_at = float("-inf")

    @property
    def instance_id(self) -> str:
        """This relay's lease-holder name (``claimed_by`` of the rows it is sending)."""
        return self._instance_id

    def wake(self) -> None:
        """Ask the polling pass to look for unheld rows now."""
        self._wake.set()

    def publish_committed(self, records: Sequence[OutboxRecord]) -> None:
        """Take a committed unit of work's rows (leased to this relay) for sending.

        Returns at once, so a claim worker is not held up by producer work; the send
        loop queues them in hand-over order. Never raises: a send that cannot even be
        queued is recorded as failed and the confirmation loop hands the row back to
        polling.
        """
        self._committed.put_nowait(records)

    async def _queue(self, records: Sequence[OutboxRecord]) -> list[_Sent]:
        """Put records on the producer in order (pipelined); nothing is awaited here."""
        sent: list[_Sent] = []
        for record in records:
            try:
                ack = await self._sender.send(
                    record.topic, record.key.encode(), record.payload, kafka_headers(record.headers)
                )
                sent.append(_Sent(record, ack))
            except Exception as exc:
                sent.append(_Sent(record, None, f"{type(exc).__name__}: {exc}"))
        return sent

    async def run(self) -> None:
        """Send handed-over rows, confirm sends and poll for unheld rows until cancelled."""
        await asyncio.gather(self._send_loop(), self._confirm_loop(), self._poll_loop())

    async def _send_loop(self) -> None:
        """Queue handed-over rows on the producer, in hand-over order."""
        while True:
            records = await self._committed.get()
            self._sent.put_nowait(await self._queue(records))

    async def _confirm_loop(self) -> None:
        """Mark acknowledged rows published (failed ones back to polling), in bursts.

        A burst is what was handed over within ``mark_interval_s`` of its first send (at
        most ``MARK_MAX`` rows): one write transaction per burst, not one per commit.
        The rows stay leased meanwhile.
        """
        loop = asyncio.get_running_loop()
        while True:
            sent = await self._sent.get()
            deadline = loop.time() + self._mark_interval_s
            while len(sent) < MARK_MAX and (remaining := deadline - loop.time()) > 0:
                try:
                    sent.extend(await asyncio.wait_for(self._sent.get(), remaining))
                except TimeoutError:
                    break
            await _acknowledged(sent)
            for attempt in range(5):
                try:
                    if await self._mark(sent):
                        self.wake()  # failed rows are back with polling
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # the rows keep their lease and are republished when it ends
                    log.exception("outbox relay could not mark %d rows", len(sent))
                    await asyncio.sleep(0.5 * 2**attempt)

    async def _mark(self, sent: Sequence[_Sent]) -> int:
        """Acknowledged rows become published, failed ones unheld again (one write
        transaction); returns failures."""
        ok = [item.record.event_id for item in sent if item.error is None]
        failed = [
            (item.record.event_id, item.error or "") for item in sent if item.error is not None
        ]
        async with self._db.sessions() as session, session.begin():
            await _mark_rows(session, self._outbox, ok, failed)
        for item in sent:
            if item.error is None:
                self._metrics.outbox_published.labels(
                    self._metrics.service, item.record.topic
                ).inc()
        if failed:
            log.warning("outbox relay: %d rows not sent; polling retries them", len(failed))
        return len(failed)

    async def _poll_loop(self) -> None:
        """Publish rows nobody holds until cancelled; never dies on an error."""
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
        """One polling pass: claim unheld rows, publish them, mark them. Returns rows sent."""
        rows = await self._claim_batch()
        sent = await self._queue(
            [
                OutboxRecord(
                    event_id=row.event_id,
                    topic=row.topic,
                    key=row.message_key,
                    payload=row.payload,
                    headers=row.headers or {},
                )
                for row in rows
            ]
        )
        await _acknowledged(sent)
        if sent:
            await self._mark(sent)
        now = asyncio.get_running_loop().time()
        if sent or now - self._gauge_at >= GAUGE_INTERVAL_S:
            self._gauge_at = now
            async with self._db.read_sessions() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(self._outbox)
                    .where(self._outbox.c.status.in_((OUTBOX_NOT_PUBLISHED, OUTBOX_IN_PROGRESS)))
                )
            self._metrics.outbox_pending.labels(self._metrics.service).set(pending or 0)
        return sum(1 for item in sent if item.error is None)

    async def _claim_batch(self) -> Sequence[Row[Any]]:
        """Lease up to ``batch_size`` unheld rows to this relay, oldest first."""
        now = datetime.now(UTC)
        o = self._outbox
        claimable = or_(
            o.c.status == OUTBOX_NOT_PUBLISHED,
            and_(o.c.status == OUTBOX_IN_PROGRESS, o.c.claimed_at < now - self._lease),
        )
        async with self._db.read_sessions() as session:
            # a read first, so an idle pass never takes the (SQLite) write lock
            if await session.scalar(select(o.c.seq).where(claimable).limit(1)) is None:
                return []
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
                select(o.c.event_id, o.c.topic, o.c.message_key, o.c.payload, o.c.headers)
                .where(o.c.seq.in_(seqs))
                .order_by(o.c.seq)
            )
            rows: Sequence[Row[Any]] = result.all()  # type: ignore[assignment]
            return rows


async def _mark_rows(
    session: AsyncSession, outbox: Table, ok: list[str], failed: list[tuple[str, str]]
) -> None:
    """Mark ``ok`` published and hand ``failed`` (event id, error) back to polling."""
    published_at = datetime.now(UTC)
    for start in range(0, len(ok), MARK_CHUNK):
        await session.execute(
            update(outbox)
            .where(outbox.c.event_id.in_(ok[start : start + MARK_CHUNK]))
            .values(status=OUTBOX_PUBLISHED, published_at=published_at)
        )
    for event_id, error in failed:
        await session.execute(
            update(outbox)
            .where(outbox.c.event_id == event_id)
            .values(
                status=OUTBOX_NOT_PUBLISHED,
                claimed_by=None,
                attempts=outbox.c.attempts + 1,
                last_error=error[:2000],
            )
        )


def kafka_headers(stored: dict[str, str]) -> dict[str, str]:
    """A row's stored headers (``traceparent``) plus the event format, CloudEvents
    structured mode (Kafka protocol binding): rows written before the header existed
    get it too."""
    return {**stored, CONTENT_TYPE: STRUCTURED_CONTENT_TYPE}


async def _acknowledged(sent: Sequence[_Sent]) -> None:
    """Wait for every queued record's acknowledgement, recording failures."""
    for item in sent:
        if item.ack is None:
            continue
        try:
            await item.ack
        except Exception as exc:
            item.error = f"{type(exc).__name__}: {exc}"
