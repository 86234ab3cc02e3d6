"""payments: the state's proposed per-person costs and administrative expenses

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``fiscal_years.proposed_costs``; create ``administrative_costs``."""
    with op.batch_alter_table("fiscal_years", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("proposed_costs", sa.JSON(), nullable=False, server_default="{}")
        )
    op.create_table(
        "administrative_costs",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("reference"),
    )
    op.create_index(
        "ix_administrative_costs_fiscal_year", "administrative_costs", ["fiscal_year"]
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("ix_administrative_costs_fiscal_year", table_name="administrative_costs")
    op.drop_table("administrative_costs")
    with op.batch_alter_table("fiscal_years", schema=None) as batch_op:
        batch_op.drop_column("proposed_costs")
