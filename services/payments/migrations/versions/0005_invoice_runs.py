"""payments: invoice runs, invoices, releases; every adjudicated line on the remittance

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the run and denial columns to ``fundings``; create the invoicing tables."""
    with op.batch_alter_table("fundings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("denial_reasons", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("run_id", sa.String(length=7), nullable=True))
        batch_op.create_index("ix_fundings_run_id", ["run_id"], unique=False)
    op.create_table(
        "releases",
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("release_id"),
    )
    op.create_index("ix_releases_run_id", "releases", ["run_id"], unique=False)
    op.create_table(
        "invoice_runs",
        sa.Column("run_id", sa.String(length=7), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(length=120), nullable=False),
        sa.Column("run_id", sa.String(length=7), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("payable", sa.Numeric(14, 2), nullable=False),
        sa.Column("released", sa.Numeric(14, 2), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index("ix_invoices_run_id", "invoices", ["run_id"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_invoices_run_id", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_runs")
    op.drop_index("ix_releases_run_id", table_name="releases")
    op.drop_table("releases")
    with op.batch_alter_table("fundings", schema=None) as batch_op:
        batch_op.drop_index("ix_fundings_run_id")
        batch_op.drop_column("run_id")
        batch_op.drop_column("denial_reasons")
