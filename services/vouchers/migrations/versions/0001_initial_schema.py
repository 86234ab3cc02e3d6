"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 04:20:31.802391

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


def downgrade() -> None:
    """Downgrade schema."""
    drop_kit_tables_v1()
