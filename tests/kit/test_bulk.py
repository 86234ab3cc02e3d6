"""Bulk inserts store exactly what SQLAlchemy's own executemany stores, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.dialects import sqlite

from services.kit.bulk import compiled_insert, execute_prepared, insert_rows, prepare_rows
from services.kit.database import Database


def _table() -> Table:
    return Table(
        "lines",
        MetaData(),
        Column("line_id", String(40), primary_key=True),
        Column("service_date", Date, nullable=False),
        Column("amount", Numeric(12, 2), nullable=False),
        Column("detail", JSON, nullable=False),
        Column("note", String(40)),
        Column("decided_at", DateTime(timezone=True), nullable=False),
    )


def _rows(prefix: str) -> list[dict[str, Any]]:
    at = datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "line_id": f"{prefix}-{n}",
            "service_date": date(2026, 11, 1 + n),
            "amount": Decimal("12.34") * n,
            "detail": {"reasons": ["A", "B"][:n], "units": n, "nested": {"k": None}},
            "note": None if n % 2 else f"note {n}",
            "decided_at": at,
        }
        for n in range(5)
    ]


@pytest.fixture
async def lines(database_url: str) -> AsyncIterator[tuple[Database, Table]]:
    """A database of each kind with an empty ``lines`` table."""
    table = _table()
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
    try:
        yield db, table
    finally:
        await db.dispose()


async def test_bulk_rows_read_back_like_orm_rows(lines: tuple[Database, Table]) -> None:
    db, table = lines
    async with db.sessions() as session:
        await insert_rows(session, table, _rows("bulk"))
        await session.execute(insert(table), _rows("orm"))
        await session.commit()
    async with db.sessions() as session:
        stored = {row.line_id: row._asdict() for row in await session.execute(select(table))}
    assert len(stored) == 10
    for n in range(5):
        bulk, orm = dict(stored[f"bulk-{n}"]), dict(stored[f"orm-{n}"])
        assert bulk.pop("line_id") == f"bulk-{n}"
        assert orm.pop("line_id") == f"orm-{n}"
        assert bulk == orm
        assert bulk["amount"] == Decimal("12.34") * n
        assert bulk["detail"]["units"] == n


async def test_skip_conflicts_keeps_the_first_row(lines: tuple[Database, Table]) -> None:
    db, table = lines
    first, again = _rows("x")[:2], _rows("x")[:3]
    again[0]["note"] = "changed"
    async with db.sessions() as session:
        await insert_rows(session, table, first)
        await insert_rows(session, table, again, skip_conflicts=True)
        await session.commit()
        notes = dict((await session.execute(select(table.c.line_id, table.c.note))).all())
    assert notes == {"x-0": "note 0", "x-1": None, "x-2": "note 2"}


async def test_a_prepared_insert_takes_a_column_set_later(lines: tuple[Database, Table]) -> None:
    """Rows bound before a writer's turn, one column (processed by its type) set inside
    it, read back like rows inserted in one go with that column's values."""
    db, table = lines
    rows = _rows("late")
    for row in rows:
        row["amount"] = Decimal("0")
    prepared = prepare_rows(table, db.engine.dialect, rows)
    amounts = [Decimal("1.50") * n for n in range(5)]
    prepared.set_column("amount", amounts)
    async with db.sessions() as session:
        await execute_prepared(session, prepared)
        await session.commit()
        stored = dict((await session.execute(select(table.c.line_id, table.c.amount))).all())
    assert stored == {f"late-{n}": amounts[n] for n in range(5)}


def test_columns_with_python_defaults_must_be_given() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("k", String(10), primary_key=True),
        Column("attempts", Integer, nullable=False, default=0),
    )
    with pytest.raises(ValueError, match="attempts"):
        compiled_insert(table, sqlite.dialect(), ["k"])
    assert compiled_insert(table, sqlite.dialect(), ["k", "attempts"]).keys == ("k", "attempts")


def test_a_value_repeated_row_after_row_is_processed_once() -> None:
    table = _table()
    statement = compiled_insert(table, sqlite.dialect(), list(_rows("p")[0]))
    calls: list[Any] = []
    index = statement.keys.index("decided_at")
    original = statement.processors[index]
    assert original is not None

    def counting(value: Any) -> Any:
        calls.append(value)
        return original(value)

    processors = list(statement.processors)
    processors[index] = counting
    counted = type(statement)(statement.sql, statement.keys, tuple(processors))
    parameters = counted.parameters(_rows("p"))
    assert len(calls) == 1  # every row shares one timestamp object
    assert {row[index] for row in parameters} == {original(_rows("p")[0]["decided_at"])}
