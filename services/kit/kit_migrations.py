"""Frozen Alembic operations for the kit tables (outbox, processed_events, then
subject_versions).

Each service's first migration calls these instead of repeating the DDL. They are frozen:
a later change to the kit tables is a new ``*_v2`` function called by a new migration in
every service, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_kit_tables_v1() -> None:
    """Create ``outbox`` and ``processed_events`` as in services/kit/schema.py v1."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_status_seq", "outbox", ["status", "seq"], unique=False)
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def drop_kit_tables_v1() -> None:
    """Undo :func:`create_kit_tables_v1`."""
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_status_seq", table_name="outbox")
    op.drop_table("outbox")


def create_subject_versions_v1() -> None:
    """Create ``subject_versions`` as in services/kit/schema.py (counts of versioned
    facts per topic and subject)."""
    op.create_table(
        "subject_versions",
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "subject"),
    )


def drop_subject_versions_v1() -> None:
    """Undo :func:`create_subject_versions_v1`."""
    op.drop_table("subject_versions")
