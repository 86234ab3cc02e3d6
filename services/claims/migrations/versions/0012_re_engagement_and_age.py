"""claims: re-engagement's missed appointment; the year a minor turns 18; reviews

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 08:10:00

``claims.missed_appointment_on`` is the date of the scheduled activity a re-engagement
contact follows (seed 004 (A)3 "Such efforts should be initiated within forty-eight (48)
hours"): later contacts of the same efforts read it on earlier allowed lines.
``client_replica.turns_18_in`` is the calendar year a client who was a minor at intake
turns 18 (seed 002 Qualifications §2 "children/minors"), so minority is judged on each
service date. ``client_replica.reviewed`` lists the administrative agency's reviews of
unusual circumstances documented in the client record (seed 004 (A)2 "Unless there are
unusual circumstances that are documented in the client record"). Rows stored before
this revision carry none of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the three nullable columns."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missed_appointment_on", sa.Date(), nullable=True))
    with op.batch_alter_table("client_replica", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turns_18_in", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("client_replica", schema=None) as batch_op:
        batch_op.drop_column("reviewed")
        batch_op.drop_column("turns_18_in")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("missed_appointment_on")
