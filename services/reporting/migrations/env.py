"""Alembic environment of the reporting service (see services/kit/migrations.py)."""

from services.kit.migrations import run_env
from services.kit.schema import add_kit_tables
from services.reporting.adapters import outcomes_orm  # noqa: F401  (its tables join metadata)
from services.reporting.adapters.orm import metadata

add_kit_tables(metadata)
run_env(metadata)
