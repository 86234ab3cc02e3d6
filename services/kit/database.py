"""SQLAlchemy 2 async engine and sessions for one service's own database.

PostgreSQL is the database of every deployment, ``make up`` included (the embedded
server, :mod:`services.kit.embedded_postgres`); several processes of one service (claim
workers) share a PostgreSQL database and queue on its row locks. SQLite remains for fast
single-process tests: it gets WAL and ``BEGIN IMMEDIATE`` so concurrent sessions of one
process queue on the write lock instead of failing with "database is locked" when a
read transaction upgrades to a write, and :attr:`Database.read_sessions` begin deferred,
reading a snapshot without the write lock. On PostgreSQL both factories are the same.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


class Database:
    """One service's engine and session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(
                url,
                connect_args={"timeout": 60},
                pool_size=5,
                max_overflow=5,
                hide_parameters=True,
            )
            _configure_sqlite(self.engine.sync_engine)
        else:
            self.engine = create_async_engine(
                url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}) if self.is_sqlite else self.engine,
            expire_on_commit=False,
        )

    async def ping(self) -> None:
        """Raise unless the database answers ``SELECT 1`` (readiness)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


READ_ONLY = "atr_read_only"
"""Execution option marking a connection whose transactions only read (SQLite: deferred)."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


__all__ = ["AsyncSession", "Database"]
