"""payments: holdbacks per provider episode, discharges, GPRA discharge interviews

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the holdback tables."""
    op.create_table(
        "holdbacks",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("first_service", sa.Date(), nullable=False),
        sa.Column("last_service", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("provider_id", "voucher_id", "fiscal_year", "state"),
    )
    op.create_table(
        "discharges",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", "voucher_id"),
    )
    op.create_table(
        "gpra_discharges",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("conducted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "provider_id"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("gpra_discharges")
    op.drop_table("discharges")
    op.drop_table("holdbacks")
