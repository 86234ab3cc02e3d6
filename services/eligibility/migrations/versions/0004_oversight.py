"""eligibility: the choice notice on each assessment; when a provider's ineligibility
takes effect

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``assessments.religious_objection_notice_given_at`` (seed 003 App. E §3; earlier
    assessments: not recorded) and ``providers.ineligible_from`` (seed 003 App. E §6)."""
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "religious_objection_notice_given_at", sa.DateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ineligible_from", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop both columns."""
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_column("ineligible_from")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("religious_objection_notice_given_at")
