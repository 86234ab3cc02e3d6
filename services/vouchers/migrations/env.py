"""Alembic environment of the vouchers service (see services/kit/migrations.py)."""

from services.kit.migrations import run_env
from services.kit.schema import add_kit_tables
from services.vouchers.adapters.orm import metadata

add_kit_tables(metadata)
run_env(metadata)
