"""Unit of work: one transaction, rolled back unless ``commit()`` is called.

Events recorded with :meth:`UnitOfWork.emit` are written to the outbox in the same
transaction as the state change that caused them (one transaction per unit of
work, no dual writes). With a :class:`CommitPublisher` attached (every service's
runtime attaches its relay), the rows are written already leased to that relay and are
handed to it right after the commit, so they go out without being read back; the relay's
polling pass is the safety net for rows whose lease ends unpublished (a crash).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Event
from contracts.topics import Topic
from services.kit.bulk import PreparedInsert, execute_prepared, insert_rows, prepare_rows
from services.kit.database import Database
from services.kit.schema import OUTBOX_IN_PROGRESS, OUTBOX_NOT_PUBLISHED, KitTables
from services.kit.telemetry import current_traceparent

TOPIC_TOTAL = ""
"""The ``subject_versions`` subject under which a topic's total count is kept (no id is
empty)."""


@dataclass(frozen=True)
class OutboxRecord:
    """One committed outbox row as the relay sends it."""

    event_id: str
    topic: str
    key: str
    payload: bytes
    headers: dict[str, str]


class CommitPublisher(Protocol):
    """Takes the outbox rows of a committed unit of work and publishes them."""

    @property
    def instance_id(self) -> str:
        """The lease holder written into the rows (``claimed_by``)."""
        ...

    def publish_committed(self, records: Sequence[OutboxRecord]) -> None:
        """Take the records for sending and return at once; never raises (the lease is
        the fallback). Called right after the commit, so the sending itself happens
        elsewhere."""
        ...


class UnitOfWork:
    """A transaction on one service database with an outbox attached."""

    def __init__(
        self, db: Database, tables: KitTables, publisher: CommitPublisher | None = None
    ) -> None:
        self._db = db
        self._tables = tables
        self._publisher = publisher
        self._pending: list[tuple[OutboxRecord, str, str | None]] = []
        self._applied: Counter[tuple[str, str]] = Counter()
        self._outbox: PreparedInsert | None = None
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._db.sessions()
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, topic: Topic, event: Event) -> None:
        """Record an integration event to publish if and when this unit commits.

        The event is serialised now, with the trace context current now, so a caller can
        prepare its events before it takes a write lock. A versioned event
        (:attr:`Event.versioned`) also counts, at the commit, in its subject's version.
        """
        record = OutboxRecord(
            event_id=str(event.id),
            topic=topic.name,
            key=event.subject,
            payload=event.to_bytes(),
            headers=current_traceparent(),
        )
        self._pending.append((record, event.type, topic.name if event.versioned else None))
        self._outbox = None

    def applied(self, topic: Topic, event: Event) -> None:
        """Count a versioned fact a replica applied in this unit (at the commit, in
        ``subject_versions``), so the claims fence can compare it with the owner's."""
        if event.versioned:
            self._applied[(topic.name, event.subject)] += 1

    @property
    def events_emitted(self) -> int:
        """How many events this unit has emitted so far (a mark for :meth:`discard_events`)."""
        return len(self._pending)

    def discard_events(self, since: int = 0) -> None:
        """Forget the events emitted after mark ``since`` (all of them by default: the
        caller is deciding again)."""
        del self._pending[since:]
        self._outbox = None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit has committed (never if it rolls back): for
        effects that must count only what was stored, such as metrics."""
        self._after_commit.append(callback)

    def prepare(self) -> None:
        """Bind the outbox rows of the events emitted so far now, so that a commit in a
        writing transaction only stores them (emitting more events undoes this)."""
        self._outbox = self._outbox_rows() if self._pending else None

    def _outbox_rows(self) -> PreparedInsert:
        now = datetime.now(UTC)
        lease = (
            {"status": OUTBOX_NOT_PUBLISHED, "claimed_by": None, "claimed_at": None}
            if self._publisher is None
            else {
                "status": OUTBOX_IN_PROGRESS,
                "claimed_by": self._publisher.instance_id,
                "claimed_at": now,
            }
        )
        return prepare_rows(
            self._tables.outbox,
            self._db.engine.dialect,
            [
                {
                    "event_id": record.event_id,
                    "topic": record.topic,
                    "message_key": record.key,
                    "event_type": event_type,
                    "payload": record.payload,
                    "headers": record.headers,
                    "attempts": 0,
                    "created_at": now,
                    **lease,
                }
                for record, event_type, _ in self._pending
            ],
        )

    async def first_time(self, consumer: str, topic: str, event_id: str) -> bool:
        """Idempotent-consumer guard: record ``event_id`` for ``consumer``.

        Returns False when the id was already processed (the caller then does nothing).
        The row is written in this transaction, so it exists iff the effects do.
        """
        table = self._tables.processed_events
        values = {
            "consumer": consumer,
            "event_id": event_id,
            "topic": topic,
            "trace_id": _current_trace_id(),
            "processed_at": datetime.now(UTC),
        }
        dialect_insert = pg_insert if not self._db.is_sqlite else sqlite_insert
        statement = dialect_insert(table).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def first_time_many(self, consumer: str, topic: str, event_ids: list[str]) -> set[str]:
        """Batch form of :meth:`first_time`: the ids not processed before (now recorded)."""
        table = self._tables.processed_events
        known = set(
            await self.session.scalars(
                select(table.c.event_id).where(
                    table.c.consumer == consumer, table.c.event_id.in_(event_ids)
                )
            )
        )
        fresh = [e for e in dict.fromkeys(event_ids) if e not in known]
        now = datetime.now(UTC)
        trace_id = _current_trace_id()
        await insert_rows(
            self.session,
            table,
            [
                {
                    "consumer": consumer,
                    "event_id": event_id,
                    "topic": topic,
                    "trace_id": trace_id,
                    "processed_at": now,
                }
                for event_id in fresh
            ],
            skip_conflicts=True,
        )
        return set(fresh)

    async def commit(self) -> None:
        """Write pending events to the outbox and commit everything atomically.

        After the commit the rows go to the publisher (if any), already leased to it.
        """
        records = [record for record, _, _ in self._pending]
        if records:
            await execute_prepared(self.session, self._outbox or self._outbox_rows())
        versions = self._applied + Counter(
            (topic, record.key) for record, _, topic in self._pending if topic is not None
        )
        if versions:
            totals: Counter[tuple[str, str]] = Counter()
            for (topic, _), count in versions.items():
                totals[(topic, TOPIC_TOTAL)] += count
            await self._count_versions(versions + totals)
        await self.session.commit()
        self._committed = True
        self._pending.clear()
        self._applied.clear()
        self._outbox = None
        if records and self._publisher is not None:
            self._publisher.publish_committed(records)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def _count_versions(self, versions: Counter[tuple[str, str]]) -> None:
        """Add ``versions`` to ``subject_versions`` (one upsert, in key order so two
        writers of the same subjects lock them in the same order)."""
        table = self._tables.subject_versions
        dialect_insert = pg_insert if not self._db.is_sqlite else sqlite_insert
        rows = [
            {"topic": topic, "subject": subject, "version": count}
            for (topic, subject), count in sorted(versions.items())
        ]
        statement = dialect_insert(table).values(rows)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.topic, table.c.subject],
                set_={"version": table.c.version + statement.excluded.version},
            )
        )


def _current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}" if ctx.is_valid else None
