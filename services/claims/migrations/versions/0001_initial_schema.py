"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 04:20:33.036355

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
    op.create_table('provider_replica',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('staff', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('provider_replica')
    drop_kit_tables_v1()
