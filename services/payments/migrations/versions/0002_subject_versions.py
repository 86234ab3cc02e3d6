"""payments: the kit's subject_versions table (counts of versioned facts per subject)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 13:40:00
"""

from collections.abc import Sequence

from services.kit.kit_migrations import create_subject_versions_v1, drop_subject_versions_v1

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``subject_versions``."""
    create_subject_versions_v1()


def downgrade() -> None:
    """Drop ``subject_versions``."""
    drop_subject_versions_v1()
