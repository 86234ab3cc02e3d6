"""WAL checkpoints run beside the writers, not inside whichever commit crosses a threshold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert

from services.kit import database
from services.kit.database import WAL_AUTOCHECKPOINT_PAGES, Database
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    sqlalchemy_postgres_url,
    wait_until,
)

SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000


def _blobs() -> Table:
    return Table(
        "blobs",
        MetaData(),
        Column("n", Integer, primary_key=True),
        Column("body", LargeBinary, nullable=False),
    )


async def test_commits_leave_the_wal_for_the_checkpoint(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    table = _blobs()
    async with db.engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
    try:
        # ~1,600 pages in 40 commits: past SQLite's default threshold, which would have
        # made one of these commits copy the WAL back (and restart it)
        for batch in range(40):
            async with db.sessions() as session:
                rows = [{"n": batch * 40 + k, "body": bytes(4000)} for k in range(40)]
                await session.execute(insert(table), rows)
                await session.commit()
        frames, copied = await db.checkpoint()
        assert SQLITE_DEFAULT_AUTOCHECKPOINT < frames < WAL_AUTOCHECKPOINT_PAGES
        assert copied == frames
    finally:
        await db.dispose()


async def test_the_checkpoint_task_checkpoints_until_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(_blobs().metadata.create_all)
    calls: list[Path] = []
    real = database._checkpoint

    def counted(path: Path) -> tuple[int, int]:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(database, "_checkpoint", counted)
    task = asyncio.create_task(db.checkpoints(0.05))
    try:

        async def checkpointed_twice() -> bool:
            return len(calls) >= 2

        assert await wait_until(checkpointed_twice, timeout_s=10, interval_s=0.02)
        assert set(calls) == {tmp_path / "c.db"}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()


async def test_postgresql_has_no_wal_to_checkpoint() -> None:
    name = await create_postgres_database()
    db = Database(sqlalchemy_postgres_url(name))
    try:
        assert await db.checkpoint() == (0, 0)
        await asyncio.wait_for(db.checkpoints(0.01), timeout=5)  # returns at once
    finally:
        await db.dispose()
        await drop_postgres_database(name)
