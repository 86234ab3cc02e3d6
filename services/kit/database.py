"""SQLAlchemy 2 async engine and sessions for one service's own database.

SQLite (embedded default) gets WAL and ``BEGIN IMMEDIATE`` so concurrent writers in one
process, or claim workers sharing a file, queue on the lock instead of failing with
"database is locked" when a read transaction upgrades to a write. Work that only reads
uses :attr:`Database.read_sessions`, whose transactions begin deferred: under WAL they
read a snapshot without taking the write lock, so they never wait for (or hold up) a
writer. PostgreSQL is used as is; there both factories are the same.

SQLite's checkpoints (copying the WAL back into the database file, with an fsync) run
in :meth:`Database.checkpoints`, a background task of every service, instead of inside
whichever commit crosses SQLite's 1,000-page threshold: a commit that checkpoints holds
the write lock, and with it the writer's turn, for the whole copy (measured: commits
inside the claim workers' turn averaged 14.7 ms with the copy, 11.4 ms without). A
``PASSIVE`` checkpoint waits for no reader or writer. SQLite's own checkpoint stays as a
backstop at 10,000 pages (~40 MiB of WAL) should the task fall behind.

Processes that write one SQLite file in turns (claim workers) queue first on
:meth:`Database.writer_turn`, an ``flock`` on a file beside the database: the kernel
hands it to the next waiter the moment it is released, where SQLite's own busy handler
polls with sleeps of up to 100 ms and leaves the lock idle between turns.

A turn taken on the event loop lasts as long as the loop takes to come back to its
holder after each statement. In a claims process whose loop is busy deciding a batch,
that stretched the outbox relay's marks (~2,400 rows a burst in the benchmark's
two-worker drains) to ~82 ms of turn each; run whole in a thread they hold it ~45 ms,
and each worker's wait for its turn fell from 0.6-1.1 s to 0.15-0.4 s a 40,000-claim
drain. Writes with nothing to await between their statements therefore go through
:meth:`Database.write_in_thread`: turn, ``BEGIN IMMEDIATE``, statements, commit,
release, without going back to the loop.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
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
        self.turn_file: Path | None = None
        self.sqlite_file: Path | None = None
        self._thread_engine: Engine | None = None
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.sqlite_file = Path(path)
                self.turn_file = Path(f"{path}.writer-turn")
                self._thread_engine = _sqlite_thread_engine(self.sqlite_file)
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

    @asynccontextmanager
    async def writer_turn(self) -> AsyncIterator[None]:
        """Wait for this process's turn to write a SQLite file, hold it for the block.

        Enter it before the transaction begins and leave it after the commit. A no-op on
        PostgreSQL (row locks and advisory locks queue there) and in-memory SQLite.
        """
        if self.turn_file is None:
            yield
            return
        descriptor = os.open(self.turn_file, os.O_RDWR | os.O_CREAT, 0o600)
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except BaseException:
            # cancelled while queued: the thread may still be given the lock; closing the
            # descriptor once it returns releases it
            waiting.add_done_callback(lambda _: os.close(descriptor))
            raise
        try:
            yield
        finally:
            os.close(descriptor)  # releases the flock

    async def write_in_thread(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, committed when it returns.

        On a SQLite file the whole turn runs in a thread (queue for the writer's turn,
        ``BEGIN IMMEDIATE``, ``work``, commit, release), so the turn is never held while
        the event loop is busy elsewhere. Elsewhere (PostgreSQL, in-memory SQLite) it
        runs as a transaction of the async engine. ``work`` gets a synchronous
        ``Connection`` and must only talk to the database.
        """
        if self.sqlite_file is None:
            async with self.engine.begin() as connection:
                return await connection.run_sync(work)
        return await asyncio.to_thread(self._write_in_turn, work)

    def _write_in_turn(self, work: Callable[[Connection], T]) -> T:
        assert self._thread_engine is not None
        with self._turn_blocking(), self._thread_engine.begin() as connection:
            return work(connection)

    @contextmanager
    def _turn_blocking(self) -> Iterator[None]:
        """:meth:`writer_turn` for a thread: wait for the ``flock``, hold it for the block."""
        assert self.turn_file is not None
        descriptor = os.open(self.turn_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the flock

    async def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database file now (``PASSIVE``): (WAL frames, copied).

        (0, 0) where there is no WAL (PostgreSQL, in-memory SQLite).
        """
        if self.sqlite_file is None:
            return 0, 0
        return await asyncio.to_thread(_checkpoint, self.sqlite_file)

    async def checkpoints(self, interval_s: float) -> None:
        """Checkpoint every ``interval_s`` for the life of the process (SQLite files)."""
        if self.sqlite_file is None or interval_s <= 0:
            return
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:  # busy or locked: the next pass tries again
                log.warning("WAL checkpoint of %s failed: %s", self.sqlite_file, exc)

    async def ping(self) -> None:
        """Raise unless the database answers ``SELECT 1`` (readiness)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._thread_engine is not None:
            self._thread_engine.dispose()


def _sqlite_thread_engine(path: Path) -> Engine:
    """A synchronous engine on the same file for :meth:`Database.write_in_thread`,
    configured like the async one (it connects only when first used)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": 60, "check_same_thread": False},
        pool_size=1,
        max_overflow=4,
        hide_parameters=True,
    )
    _configure_sqlite(engine)
    return engine


def _checkpoint(path: Path) -> tuple[int, int]:
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        _, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames), int(copied)
    finally:
        connection.close()


WAL_AUTOCHECKPOINT_PAGES = 10_000
"""SQLite's own checkpoint threshold, a backstop behind :meth:`Database.checkpoints`."""

READ_ONLY = "atr_read_only"
"""Execution option marking a connection whose transactions only read (SQLite: deferred)."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


__all__ = ["AsyncSession", "Database"]
