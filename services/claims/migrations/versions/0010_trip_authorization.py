"""claims: each line's trip pre-authorisation (seed 001 Transportation)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:30:00

A service whose trips are each pre-authorised (seed 001 Transportation: "Transportation
costs must be preauthorized on an individual basis") reads which references earlier
allowed lines of the client used. Lines stored before this revision carry none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``claims.trip_authorization`` (nullable: earlier lines have none)."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trip_authorization", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop the trip pre-authorisation."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("trip_authorization")
