"""vouchers: the latest choice list offered to each client for each service

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``offered_choice_lists`` (seed 003 App. E §4(2) "a list of the various
    eligible providers. The client selected a provider")."""
    op.create_table(
        "offered_choice_lists",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("provider_ids", sa.JSON(), nullable=False),
        sa.Column("choice_exception_id", sa.String(length=36), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "service_code"),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("offered_choice_lists")
