"""``Database.writer_turn``: processes writing one SQLite file take turns (claim workers).

Two ``Database`` objects on one file stand for two processes: ``flock`` locks belong to
open file descriptions, so two descriptors conflict within one process just as across
processes.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, MetaData, text

from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork


async def test_a_second_writer_waits_until_the_first_turn_ends(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first, second = Database(url), Database(url)
    order: list[str] = []
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with first.writer_turn():
            order.append("first in")
            holding.set()
            await release.wait()
            order.append("first out")

    async def wait_turn() -> None:
        async with second.writer_turn():
            order.append("second in")

    try:
        holder = asyncio.create_task(hold())
        await holding.wait()
        waiter = asyncio.create_task(wait_turn())
        await asyncio.sleep(0.3)
        assert order == ["first in"]  # still queued behind the first turn
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, waiter), timeout=10)
        assert order == ["first in", "first out", "second in"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_cancelled_while_queued_does_not_keep_the_turn(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first, second, third = Database(url), Database(url), Database(url)
    try:
        async with first.writer_turn():
            queued = asyncio.create_task(second.writer_turn().__aenter__())
            await asyncio.sleep(0.2)
            queued.cancel()
            with pytest.raises(asyncio.CancelledError):
                await queued
        # the cancelled waiter's thread got the lock when the first turn ended and must
        # have let it go again: a third writer gets its turn
        async with asyncio.timeout(10):
            async with third.writer_turn():
                pass
    finally:
        for db in (first, second, third):
            await db.dispose()


async def test_writer_turn_is_a_no_op_on_postgresql() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    try:
        assert db.turn_file is None
        async with db.writer_turn(), db.writer_turn():  # nothing is locked: no self-wait
            pass
    finally:
        await db.dispose()


async def test_an_open_unit_of_work_holds_no_write_lock_until_its_first_statement(
    tmp_path: Path,
) -> None:
    """The claim worker opens its unit of work, prepares events, and only then queues for
    the writer's turn: that order is deadlock-free only because SQLite's write lock is
    taken at the first statement, not when the unit of work is entered."""
    path = tmp_path / "shared.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    metadata = MetaData()
    tables = add_kit_tables(metadata)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with UnitOfWork(db, tables) as uow:
            other.execute("BEGIN IMMEDIATE")  # free: the unit of work has not begun yet
            other.execute("COMMIT")
            await uow.session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        await db.dispose()


def _insert_note(body: str) -> Callable[[Connection], int]:
    def work(connection: Connection) -> int:
        connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
        return int(connection.execute(text("SELECT count(*) FROM notes")).scalar_one())

    return work


async def _notes(db: Database) -> list[str]:
    async with db.engine.connect() as connection:
        return list((await connection.execute(text("SELECT body FROM notes"))).scalars())


async def test_write_in_thread_commits_what_the_work_wrote_and_returns_its_result(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body VARCHAR(20) NOT NULL)"))
        assert await db.write_in_thread(_insert_note("first")) == 1
        assert await db.write_in_thread(_insert_note("second")) == 2
        assert sorted(await _notes(db)) == ["first", "second"]

        def fails(connection: Connection) -> None:
            _insert_note("lost")(connection)
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError, match="after the insert"):
            await db.write_in_thread(fails)
        assert sorted(await _notes(db)) == ["first", "second"]  # rolled back
    finally:
        await db.dispose()


async def test_write_in_thread_waits_for_the_writer_turn_of_another_process(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first, second = Database(url), Database(url)
    try:
        async with first.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body VARCHAR(20) NOT NULL)"))
        async with first.writer_turn():
            queued = asyncio.create_task(second.write_in_thread(_insert_note("second")))
            await asyncio.sleep(0.3)
            assert not queued.done()  # queued behind the turn, not in SQLite's busy loop
            async with first.sessions() as session, session.begin():
                await session.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        assert await asyncio.wait_for(queued, timeout=10) == 2
        assert await _notes(first) == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()


def _wait_blocking_for_commit_and_free_turn(path: Path, turn_file: Path) -> None:
    """Block the caller (the event loop) until a note is committed and the writer's turn
    is free again; fail after 10 s."""
    deadline = time.monotonic() + 10
    reader = sqlite3.connect(path)
    descriptor = os.open(turn_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            if reader.execute("SELECT count(*) FROM notes").fetchone()[0] == 1:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return  # committed, and the turn let go of
                except BlockingIOError:
                    pass
            assert time.monotonic() < deadline, "the write did not finish while the loop was busy"
            time.sleep(0.01)
    finally:
        os.close(descriptor)
        reader.close()


async def test_write_in_thread_commits_and_frees_the_turn_while_the_event_loop_is_busy(
    tmp_path: Path,
) -> None:
    """The point of running the turn in a thread: a claims process's loop busy deciding
    a batch (no awaits for tens of ms) must not stretch another write's hold on the
    turn, which the other claim worker is queued for."""
    path = tmp_path / "busy.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body VARCHAR(20) NOT NULL)"))
        started = threading.Event()

        def slow_note(connection: Connection) -> int:
            started.set()
            time.sleep(0.1)  # still writing when the loop turns busy
            return _insert_note("while busy")(connection)

        write = asyncio.create_task(db.write_in_thread(slow_note))
        assert await asyncio.to_thread(started.wait, 10)
        assert db.turn_file is not None
        _wait_blocking_for_commit_and_free_turn(path, db.turn_file)  # the loop stays busy
        assert await write == 1
    finally:
        await db.dispose()
