"""payments: adjustments (corrections of funded lines) and their place on invoices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``adjustments``; invoices carry the adjusted amount."""
    op.create_table(
        "adjustments",
        sa.Column("correction_id", sa.String(length=36), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("amount_delta", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("payable_delta", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("holdback_delta", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("payable_clawback", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("released_clawback", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("corrected_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("correction_id"),
    )
    op.create_index(op.f("ix_adjustments_claim_id"), "adjustments", ["claim_id"], unique=False)
    op.create_index(op.f("ix_adjustments_run_id"), "adjustments", ["run_id"], unique=False)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "adjusted",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            )
        )


def downgrade() -> None:
    """Drop ``adjustments`` and the invoices' adjusted amount."""
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("adjusted")
    op.drop_index(op.f("ix_adjustments_run_id"), table_name="adjustments")
    op.drop_index(op.f("ix_adjustments_claim_id"), table_name="adjustments")
    op.drop_table("adjustments")
