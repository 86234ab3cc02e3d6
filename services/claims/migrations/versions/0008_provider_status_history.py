"""claims: each provider's status history (claims are decided on their service date's)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``provider_replica.status_history`` (existing rows: none known yet)."""
    with op.batch_alter_table("provider_replica", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_history", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    """Drop the status history."""
    with op.batch_alter_table("provider_replica", schema=None) as batch_op:
        batch_op.drop_column("status_history")
