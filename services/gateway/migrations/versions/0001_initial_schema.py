"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 04:20:29.301441

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.kit_migrations import create_kit_tables_v1, drop_kit_tables_v1


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_kit_tables_v1()
    op.create_table('api_tokens',
    sa.Column('token_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('organisation_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_id'),
    sa.UniqueConstraint('token_hash')
    )


def downgrade() -> None:
    """Downgrade schema."""
    drop_kit_tables_v1()
    op.drop_table('api_tokens')
