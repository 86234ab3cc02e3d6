"""claims: per-client heads instead of one lock on every claim write

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:00:00

Claim workers used to serialise every write on one advisory lock so that decision
numbers committed in order (``max(decision_seq) + 1``). Now each write locks the
``client_heads`` rows of its batch's clients and bumps them (per-client ordering and
conflict detection); decision numbers come from the ``claims_decision_seq`` sequence on
PostgreSQL, increasing in each client's decision order. The ``decision_seq`` index
served the old change check only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``client_heads`` and (PostgreSQL) the decision sequence; drop the index."""
    op.create_table(
        "client_heads",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE claims_decision_seq")
        op.execute(
            "SELECT setval('claims_decision_seq', "
            "COALESCE((SELECT max(decision_seq) FROM claims), 0) + 1, false)"
        )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_decision_seq"))


def downgrade() -> None:
    """Back to the index and no heads."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_decision_seq"), ["decision_seq"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE claims_decision_seq")
    op.drop_table("client_heads")
