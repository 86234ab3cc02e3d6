"""claims: per-diem lines billed as a date range

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00

``service_date_to`` is the last day of a date-range line (NULL for a one-day line);
``allowed_days`` the days of such a line that were allowed (a JSON list of ISO dates),
what later lines of the client read as one allowed line per day. Lines stored before
this revision are one-day lines: both stay NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_date_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("allowed_days", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("allowed_days")
        batch_op.drop_column("service_date_to")
