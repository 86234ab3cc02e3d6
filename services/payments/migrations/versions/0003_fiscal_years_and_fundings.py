"""payments: fiscal years, quarter totals, fundings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the fund-accounting tables."""
    op.create_table(
        "fiscal_years",
        sa.Column("fiscal_year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("q1", sa.Numeric(14, 2), nullable=False),
        sa.Column("q2", sa.Numeric(14, 2), nullable=False),
        sa.Column("q3", sa.Numeric(14, 2), nullable=False),
        sa.Column("q4", sa.Numeric(14, 2), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fiscal_year"),
    )
    op.create_table(
        "quarter_totals",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("obligated", sa.Numeric(14, 2), nullable=False),
        sa.Column("payable", sa.Numeric(14, 2), nullable=False),
        sa.Column("held_back", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("fiscal_year", "quarter"),
    )
    op.create_table(
        "fundings",
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("funded", sa.Boolean(), nullable=False),
        sa.Column("payable", sa.Numeric(12, 2), nullable=False),
        sa.Column("holdback", sa.Numeric(12, 2), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    op.create_index("ix_fundings_provider_id", "fundings", ["provider_id"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_fundings_provider_id", table_name="fundings")
    op.drop_table("fundings")
    op.drop_table("quarter_totals")
    op.drop_table("fiscal_years")
