"""``Database.writer_turn``: processes writing one SQLite file take turns (claim workers).

Two ``Database`` objects on one file stand for two processes: ``flock`` locks belong to
open file descriptions, so two descriptors conflict within one process just as across
processes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

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
