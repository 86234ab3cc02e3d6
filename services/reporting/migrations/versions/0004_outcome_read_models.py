"""reporting: outcome read models (GPRA interviews, vouchers, assessments)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDICATORS = ("abstinent", "employed_or_in_school", "no_arrests", "housed", "social_support")


def upgrade() -> None:
    """Create ``outcome_interviews``, ``outcome_vouchers`` and ``outcome_assessments``."""
    op.create_table(
        "outcome_interviews",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conducted_on", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("discharge_reason", sa.String(length=40), nullable=True),
        *(sa.Column(name, sa.Boolean(), nullable=True) for name in INDICATORS),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("interview_id"),
    )
    op.create_index(
        op.f("ix_outcome_interviews_client_id"), "outcome_interviews", ["client_id"]
    )
    op.create_table(
        "outcome_vouchers",
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("voucher_id"),
    )
    op.create_index(op.f("ix_outcome_vouchers_client_id"), "outcome_vouchers", ["client_id"])
    op.create_table(
        "outcome_assessments",
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("assessment_id"),
    )
    op.create_index(
        op.f("ix_outcome_assessments_client_id"), "outcome_assessments", ["client_id"]
    )


def downgrade() -> None:
    """Drop the outcome read models."""
    for table in ("outcome_assessments", "outcome_vouchers", "outcome_interviews"):
        op.drop_index(op.f(f"ix_{table}_client_id"), table_name=table)
        op.drop_table(table)
