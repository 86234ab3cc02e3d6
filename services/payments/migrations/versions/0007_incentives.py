"""payments: completions, drug tests, the incentive pool's distributions and awards

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the incentives column to ``invoices``; create the incentive tables."""
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incentives", sa.Numeric(14, 2), nullable=False, server_default="0")
        )
    op.create_table(
        "completions",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("conducted_on", sa.Date(), nullable=False),
        sa.Column("discharge_reason", sa.String(length=40), nullable=True),
        sa.Column("brief_intervention", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "provider_id", "conducted_on"),
    )
    op.create_table(
        "drug_tests",
        sa.Column("test_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("tested_on", sa.Date(), nullable=False),
        sa.Column("random", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("test_id"),
    )
    op.create_index("ix_drug_tests_client_id", "drug_tests", ["client_id"], unique=False)
    op.create_table(
        "incentive_distributions",
        sa.Column("fiscal_year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pool", sa.Numeric(14, 2), nullable=False),
        sa.Column("distributed", sa.Numeric(14, 2), nullable=False),
        sa.Column("undistributed", sa.Numeric(14, 2), nullable=False),
        sa.Column("distributed_by", sa.String(length=64), nullable=True),
        sa.Column("distributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fiscal_year"),
    )
    op.create_table(
        "incentive_awards",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("fiscal_year", "provider_id"),
    )
    op.create_index(
        "ix_incentive_awards_run_id", "incentive_awards", ["run_id"], unique=False
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_incentive_awards_run_id", table_name="incentive_awards")
    op.drop_table("incentive_awards")
    op.drop_table("incentive_distributions")
    op.drop_index("ix_drug_tests_client_id", table_name="drug_tests")
    op.drop_table("drug_tests")
    op.drop_table("completions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("incentives")
