"""index claims.decision_seq (the worker's write-time change check)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:30:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Lines decided after a batch's snapshot are found by a range scan, not a table scan."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_decision_seq"), ["decision_seq"], unique=False)


def downgrade() -> None:
    """Drop the index."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_decision_seq"))
