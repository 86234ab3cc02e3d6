"""gateway: API tokens gain an expiry and scopes (existing tokens: neither, so unchanged)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``api_tokens.expires_at`` and ``api_tokens.scopes``; null means never expires
    and unrestricted within the role, so every existing token stays valid as it was."""
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("scopes", sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Drop the expiry and scopes (every token becomes unrestricted and unexpiring)."""
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scopes")
        batch_op.drop_column("expires_at")
