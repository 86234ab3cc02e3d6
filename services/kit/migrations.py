"""Alembic, per service: every service keeps its migrations in ``services/<svc>/migrations``.

Services never ``create_all``; their prestart step runs ``upgrade head`` (as
full-stack-fastapi-template does). On PostgreSQL an advisory lock serialises concurrent
prestarts (several claim workers starting at once).
"""

from __future__ import annotations

import asyncio
import fcntl
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

SERVICES_DIR = Path(__file__).resolve().parents[1]


def alembic_config(service: str, url: str) -> Config:
    """The Alembic configuration of ``service`` pointed at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("atr_service", service)
    return config


def upgrade_to_head(service: str, url: str) -> None:
    """Apply every pending migration of ``service`` (blocking; run it in a thread)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if path and path != ":memory:":
            # several claim workers share one SQLite file: one migrates, the others wait
            # (PostgreSQL uses an advisory lock in run_env instead)
            with open(f"{path}.migrate.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    command.upgrade(alembic_config(service, url), "head")
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            return
    command.upgrade(alembic_config(service, url), "head")


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online and offline modes)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    service = context.config.get_main_option("atr_service") or "atr"
    asyncio.run(_run_online(url, metadata, service))


async def _run_online(url: str, metadata: MetaData, service: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_lock(:key)"), {"key": zlib.crc32(service.encode())}
                )
                await connection.commit()
            await connection.run_sync(_migrate, metadata)
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
