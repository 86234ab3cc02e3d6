"""reporting: choice exceptions and self-referrals (program integrity)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``choice_exceptions`` and ``self_referrals``."""
    op.create_table(
        "choice_exceptions",
        sa.Column("exception_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("shortfalls", sa.JSON(), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("exception_id"),
    )
    op.create_index(
        op.f("ix_choice_exceptions_recorded_on"), "choice_exceptions", ["recorded_on"]
    )
    op.create_table(
        "self_referrals",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("selected_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(op.f("ix_self_referrals_selected_on"), "self_referrals", ["selected_on"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_self_referrals_selected_on"), table_name="self_referrals")
    op.drop_table("self_referrals")
    op.drop_index(op.f("ix_choice_exceptions_recorded_on"), table_name="choice_exceptions")
    op.drop_table("choice_exceptions")
