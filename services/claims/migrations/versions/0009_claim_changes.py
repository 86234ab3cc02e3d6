"""claims: which transaction last wrote each line, and when (the claims list's order)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

``GET /v1/claims`` reads lines in (``changed_in``, ``claim_id``) order. Both indexes
take a batch's lines at their right edge (the writing transaction's number is the
highest yet), so a write adds a page or so per provider, not one scattered page per line.
Lines stored before this revision get ``changed_in`` 0 (listed first, by claim id) and
their last write's time (correction, decision or receipt) as ``updated_at``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``changed_in`` and ``updated_at`` (backfilled), then their indexes."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_in", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE claims SET changed_in = 0, updated_at = COALESCE("
        "(SELECT max(corrected_at) FROM claim_corrections"
        " WHERE claim_corrections.claim_id = claims.claim_id),"
        " decided_at, received_at)"
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("changed_in", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index("ix_claims_changes", ["changed_in", "claim_id"], unique=False)
        batch_op.create_index(
            "ix_claims_provider_changes",
            ["provider_id", "changed_in", "claim_id"],
            unique=False,
        )


def downgrade() -> None:
    """Drop the indexes and the columns."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_provider_changes")
        batch_op.drop_index("ix_claims_changes")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("changed_in")
