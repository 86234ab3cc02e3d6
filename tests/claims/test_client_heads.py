"""Per-client ordering of claim writes (``client_heads``): each write locks and moves on
the heads of its clients; writers of different clients never wait for each other, two
writers of one client queue, and the second sees the first's version (conflict
detection: it decides its batch again)."""

from __future__ import annotations

import asyncio

from services.claims.adapters.history import advance_heads, read_heads
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    sqlalchemy_postgres_url,
)


async def test_heads_start_at_zero_and_move_one_version_per_write(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, "claims", database_url)
    db = Database(database_url)
    try:
        async with db.read_sessions() as session:
            assert await read_heads(session, {"C1", "C2"}) == {"C1": 0, "C2": 0}
        for expected in (0, 1, 2):
            async with db.sessions() as session, session.begin():
                had = await advance_heads(session, {"C1"})
            assert had == {"C1": expected}
        async with db.sessions() as session, session.begin():
            assert await advance_heads(session, {"C1", "C2"}) == {"C1": 3, "C2": 0}
            await session.rollback()  # a write that does not commit moves nothing
        async with db.read_sessions() as session:
            assert await read_heads(session, {"C1", "C2", "C3"}) == {"C1": 3, "C2": 0, "C3": 0}
    finally:
        await db.dispose()


async def test_writers_of_other_clients_do_not_wait_writers_of_one_client_queue() -> None:
    name = await create_postgres_database()
    url = sqlalchemy_postgres_url(name)
    await asyncio.to_thread(upgrade_to_head, "claims", url)
    db = Database(url)
    try:
        async with db.sessions() as first, first.begin():
            assert await advance_heads(first, {"C1", "C2"}) == {"C1": 0, "C2": 0}

            async def other(clients: set[str]) -> dict[str, int]:
                async with db.sessions() as second, second.begin():
                    return await advance_heads(second, clients)

            # another client: not held up by the open transaction
            assert await asyncio.wait_for(other({"C3"}), timeout=5) == {"C3": 0}
            # the same client: waits for the first writer's commit
            queued = asyncio.create_task(other({"C2", "C4"}))
            await asyncio.sleep(0.5)
            assert not queued.done()
        # committed: the queued writer goes on and sees the first writer's version
        assert await asyncio.wait_for(queued, timeout=5) == {"C2": 1, "C4": 0}
    finally:
        await db.dispose()
        await drop_postgres_database(name)
