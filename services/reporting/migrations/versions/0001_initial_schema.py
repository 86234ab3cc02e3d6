"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 04:20:35.757702

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
    op.create_table('program_counters',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('program_counters')
    drop_kit_tables_v1()
