"""vouchers, decisions and provider replica

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the voucher tables."""
    op.create_table(
        "vouchers",
        sa.Column("voucher_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("provider_id", sa.String(64)),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vouchers_client_id", "vouchers", ["client_id"])
    op.create_index("ix_vouchers_status", "vouchers", ["status"])
    op.create_index("ix_vouchers_provider_id", "vouchers", ["provider_id"])
    op.create_index("ix_vouchers_valid_until", "vouchers", ["valid_until"])
    op.create_table(
        "voucher_decisions",
        sa.Column("decision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("voucher_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_voucher_decisions_voucher_id", "voucher_decisions", ["voucher_id"])
    op.create_table(
        "voucher_providers",
        sa.Column("provider_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the voucher tables."""
    op.drop_table("voucher_providers")
    op.drop_index("ix_voucher_decisions_voucher_id", "voucher_decisions")
    op.drop_table("voucher_decisions")
    for column in ("valid_until", "provider_id", "status", "client_id"):
        op.drop_index(f"ix_vouchers_{column}", "vouchers")
    op.drop_table("vouchers")
