"""Alembic environment of the eligibility service (see services/kit/migrations.py)."""

from services.eligibility.adapters.orm import metadata
from services.kit.migrations import run_env
from services.kit.schema import add_kit_tables

add_kit_tables(metadata)
run_env(metadata)
