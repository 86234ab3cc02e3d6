"""reporting: the money read models (claim lines, fundings, allotments, holdbacks,
incentive awards, invoices, vouchers issued, providers designated)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    """Create the read models."""
    op.create_table(
        "claim_lines",
        sa.Column("claim_id", sa.String(64), primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("voucher_id", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("billed_units", sa.Integer(), nullable=False),
        sa.Column("allowed_units", sa.Integer(), nullable=False),
        sa.Column("denied_units", sa.Integer(), nullable=False),
        sa.Column("unit_rate", sa.Numeric(12, 4)),
        sa.Column("allowed_amount", MONEY, nullable=False),
        sa.Column("denied_amount", MONEY, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reasons", sa.String(1000), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_claim_lines_provider_id", "claim_lines", ["provider_id"])
    op.create_index("ix_claim_lines_service_date", "claim_lines", ["service_date"])
    op.create_table(
        "line_fundings",
        sa.Column("claim_id", sa.String(64), primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("funded", sa.Boolean(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason", sa.String(64)),
    )
    op.create_index("ix_line_fundings_fiscal_year", "line_fundings", ["fiscal_year"])
    op.create_table(
        "allotments",
        sa.Column("fiscal_year", sa.Integer(), primary_key=True),
        sa.Column("quarter", sa.Integer(), primary_key=True),
        sa.Column("amount", MONEY, nullable=False),
    )
    op.create_table(
        "holdback_settlements",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("voucher_id", sa.String(64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
    )
    op.create_index(
        "ix_holdback_settlements_provider_id", "holdback_settlements", ["provider_id"]
    )
    op.create_table(
        "incentive_awards",
        sa.Column("provider_id", sa.String(64), primary_key=True),
        sa.Column("fiscal_year", sa.Integer(), primary_key=True),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(16), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("payable", MONEY, nullable=False),
        sa.Column("released", MONEY, nullable=False),
        sa.Column("adjusted", MONEY, nullable=False),
        sa.Column("incentives", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
    )
    op.create_table(
        "vouchers_issued",
        sa.Column("voucher_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "providers_designated",
        sa.Column("provider_id", sa.String(64), primary_key=True),
        sa.Column("designated_on", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    """Drop the read models."""
    for table in (
        "providers_designated",
        "vouchers_issued",
        "invoices",
        "incentive_awards",
        "holdback_settlements",
        "line_fundings",
        "allotments",
        "claim_lines",
    ):
        op.drop_table(table)
