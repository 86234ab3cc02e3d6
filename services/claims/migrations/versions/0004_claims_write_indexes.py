"""claims: drop indexes no query uses; a partial index of pending lines

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:00:00

Every index is one more B-tree insert per claim line, inside the writers' transaction;
``voucher_id`` put ~500 scattered pages into every 500-line batch's WAL. No query
filters on ``provider_id``, ``voucher_id`` or ``status`` alone; the pending lookups
(per batch, per client, and the sweeper) read a partial index holding only pending
lines, which the approved and denied lines never touch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    """Drop the three unused indexes, add ``ix_claims_pending``."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_provider_id"))
        batch_op.drop_index(batch_op.f("ix_claims_voucher_id"))
        batch_op.drop_index(batch_op.f("ix_claims_status"))
        batch_op.create_index(
            "ix_claims_pending",
            ["client_id"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    """Restore the 0003 indexes."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_pending")
        batch_op.create_index(batch_op.f("ix_claims_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_voucher_id"), ["voucher_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_provider_id"), ["provider_id"], unique=False)
