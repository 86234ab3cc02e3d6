"""A reporting database of each kind and a way to feed it events as its consumers do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest

from contracts.envelope import Event
from services.kit.database import Database
from services.kit.schema import KitTables, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import metadata
from services.reporting.service_layer.projections import PROJECTIONS, Projection, apply_events


def projection_of(event: Event) -> Projection:
    """The projection (topic) that applies ``event``."""
    return next(p for p in PROJECTIONS if isinstance(event, p.accepts))


@dataclass
class Reporting:
    """The reporting database under test."""

    db: Database
    tables: KitTables

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return UnitOfWork(self.db, self.tables)

    async def feed(self, events: Sequence[Event], batch: int = 3) -> int:
        """Apply ``events`` in topic order, a few at a time per topic (as the consumers
        do); how many were new."""
        new = 0
        i = 0
        while i < len(events):
            projection = projection_of(events[i])
            chunk: list[Event] = []
            while i < len(events) and len(chunk) < batch and projection_of(events[i]) is projection:
                chunk.append(events[i])
                i += 1
            async with self.uow() as uow:
                new += await apply_events(uow, projection, chunk)
                await uow.commit()
        return new


@pytest.fixture
async def reporting(database_url: str) -> AsyncIterator[Reporting]:
    """An empty reporting database (SQLite and PostgreSQL)."""
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Reporting(db, tables)
    await db.dispose()


Feed = Callable[[Sequence[Event]], int]
