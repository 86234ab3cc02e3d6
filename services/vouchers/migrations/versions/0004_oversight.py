"""vouchers: the clients' assessed attributes; when a provider's ineligibility takes effect

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
    """Create ``client_attributes`` (seed 001 Recovery Home at issuance) and add
    ``voucher_providers.ineligible_from`` (seed 003 App. E §6)."""
    op.create_table(
        "client_attributes",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    with op.batch_alter_table("voucher_providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ineligible_from", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop both."""
    with op.batch_alter_table("voucher_providers", schema=None) as batch_op:
        batch_op.drop_column("ineligible_from")
    op.drop_table("client_attributes")
