"""claims: corrections of decided lines (reduced or voided by their provider)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``claim_corrections``."""
    op.create_table(
        "claim_corrections",
        sa.Column("correction_id", sa.String(length=36), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("previous_billed_units", sa.Integer(), nullable=False),
        sa.Column("previous_allowed_units", sa.Integer(), nullable=False),
        sa.Column("previous_allowed_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("billed_units", sa.Integer(), nullable=False),
        sa.Column("allowed_units", sa.Integer(), nullable=False),
        sa.Column("allowed_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("corrected_by", sa.String(length=64), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("correction_id"),
    )
    op.create_index(
        op.f("ix_claim_corrections_claim_id"), "claim_corrections", ["claim_id"], unique=False
    )


def downgrade() -> None:
    """Drop ``claim_corrections``."""
    op.drop_index(op.f("ix_claim_corrections_claim_id"), table_name="claim_corrections")
    op.drop_table("claim_corrections")
