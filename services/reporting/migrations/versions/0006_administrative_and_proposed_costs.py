"""reporting: the state's proposed per-person costs and administrative expenses

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``proposed_costs`` and ``administrative_costs``."""
    op.create_table(
        "proposed_costs",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=64), nullable=False),
        sa.Column("low", sa.Numeric(14, 2), nullable=False),
        sa.Column("high", sa.Numeric(14, 2), nullable=False),
        sa.Column("justification", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("fiscal_year", "modality"),
    )
    op.create_table(
        "administrative_costs",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("reference"),
    )
    op.create_index(
        "ix_administrative_costs_fiscal_year", "administrative_costs", ["fiscal_year"]
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_administrative_costs_fiscal_year", table_name="administrative_costs")
    op.drop_table("administrative_costs")
    op.drop_table("proposed_costs")
