"""Tables every service database has: the transactional outbox, processed event ids and
the per-subject counts of versioned facts (``subject_versions``).

Each service adds them to its own ``MetaData`` (:func:`add_kit_tables`) so they are created
by that service's Alembic migrations, beside its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

OUTBOX_NOT_PUBLISHED = "not_published"
OUTBOX_IN_PROGRESS = "in_progress"
OUTBOX_PUBLISHED = "published"


@dataclass(frozen=True)
class KitTables:
    """The outbox, processed-events and subject-versions tables of one service's
    metadata."""

    outbox: Table
    processed_events: Table
    subject_versions: Table


def add_kit_tables(metadata: MetaData) -> KitTables:
    """Declare the outbox (eShop-style states) and the idempotent-consumer table.

    Idempotent: a metadata that already has them returns the existing tables.
    """
    if "outbox" in metadata.tables:
        return KitTables(
            metadata.tables["outbox"],
            metadata.tables["processed_events"],
            metadata.tables["subject_versions"],
        )
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("message_key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("status", String(20), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("claimed_by", String(100)),
        Column("claimed_at", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Index("ix_outbox_status_seq", "status", "seq"),
    )
    processed_events = Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("trace_id", String(32)),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    # versioned facts (contracts.envelope.Event.versioned) about each subject: how many
    # this database emitted (the owner) or applied (a replica)
    subject_versions = Table(
        "subject_versions",
        metadata,
        Column("topic", String(200), primary_key=True),
        Column("subject", String(200), primary_key=True),
        Column("version", BigInteger, nullable=False),
    )
    return KitTables(
        outbox=outbox, processed_events=processed_events, subject_versions=subject_versions
    )
