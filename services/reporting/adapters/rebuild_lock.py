"""The rebuild and the live consumers take turns on reporting's read models.

``atr reporting rebuild`` empties the read models and replays every topic while the
reporting service may still be consuming. Were a consumer to write in between, its rows
could outlive the emptying, or an event it applied before the emptying could be replayed
against rows the replay has not rebuilt yet (a funding adjustment before its line). So on
PostgreSQL the rebuild holds an exclusive session-level advisory lock for its whole run,
and every consumer transaction first takes the same lock shared: consumers wait while a
rebuild runs (their group membership is kept by aiokafka's heartbeats) and then go on
from their committed offsets, skipping by event id what the replay already applied.
SQLite (single-process unit tests) has no advisory locks; there the rebuild is run with
the service stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.database import Database

REBUILD_LOCK_KEY = 0x41_54_52_52_45_42  # "ATRREB": reporting's read models
"""The advisory lock's key (one per database: every service has its own)."""


async def wait_for_rebuild(session: AsyncSession) -> None:
    """Take the rebuild lock shared for this transaction (PostgreSQL): returns at once
    unless a rebuild is running, then when it has finished."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": REBUILD_LOCK_KEY}
        )


@asynccontextmanager
async def rebuilding(db: Database) -> AsyncIterator[None]:
    """Hold the rebuild lock exclusively for the block (PostgreSQL; a no-op on SQLite):
    waits for the consumer transactions in flight, and keeps new ones waiting."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": REBUILD_LOCK_KEY})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": REBUILD_LOCK_KEY}
            )
            await connection.commit()
