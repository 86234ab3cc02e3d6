"""eligibility: the choice lists offered to clients

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
    """Create ``choice_lists_offered`` (seed 003 App. E §4(2) "Assessment staff provided
    the client with ... a list of the various eligible providers"); widen
    ``choice_exceptions.client_id`` to 64 characters, as a voucher's client id may be, and
    its ``service_code`` to 64, the longest catalog code a request may name."""
    op.create_table(
        "choice_lists_offered",
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("provider_ids", sa.JSON(), nullable=False),
        sa.Column("choice_exception_id", sa.String(length=36), nullable=True),
        sa.Column("offered_by", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id"),
    )
    with op.batch_alter_table("choice_lists_offered", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_choice_lists_offered_client_id"), ["client_id"], unique=False
        )
    with op.batch_alter_table("choice_exceptions", schema=None) as batch_op:
        batch_op.alter_column(
            "client_id", existing_type=sa.String(length=32), type_=sa.String(length=64)
        )
        batch_op.alter_column(
            "service_code", existing_type=sa.String(length=60), type_=sa.String(length=64)
        )


def downgrade() -> None:
    """Drop the table; ``choice_exceptions`` columns back to their first widths."""
    with op.batch_alter_table("choice_exceptions", schema=None) as batch_op:
        batch_op.alter_column(
            "service_code", existing_type=sa.String(length=64), type_=sa.String(length=60)
        )
        batch_op.alter_column(
            "client_id", existing_type=sa.String(length=64), type_=sa.String(length=32)
        )
    with op.batch_alter_table("choice_lists_offered", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_choice_lists_offered_client_id"))
    op.drop_table("choice_lists_offered")
