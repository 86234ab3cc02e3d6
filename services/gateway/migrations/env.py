"""Alembic environment of the gateway (see services/kit/migrations.py)."""

from services.gateway.adapters.orm import metadata
from services.kit.migrations import run_env
from services.kit.schema import add_kit_tables

add_kit_tables(metadata)
run_env(metadata)
