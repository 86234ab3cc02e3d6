"""The claims table carries only the indexes its queries use (each costs every write).

Migration 0004: pending lookups read a partial index of pending lines; decided lines, the
bulk of every batch, enter only ``claim_id``, ``client_id`` and ``decision_seq``.
Migration 0009: the claims list reads lines in (``changed_in``, ``claim_id``) order, one
provider's or everyone's, from an index in that order (no sort, no table scan).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Select, select

from services.claims.adapters.claim_feed import page_query
from services.claims.adapters.orm import IS_PENDING, claims
from services.claims.domain.claim_feed import START, FeedFilter, Position
from services.kit.database import Database
from services.kit.migrations import alembic_config


async def _migrated(tmp_path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path / 'claims.db'}"
    await asyncio.to_thread(command.upgrade, alembic_config("claims", url), "head")
    return Database(url)


async def _plan(db: Database, query: Select[Any]) -> str:
    """SQLite's plan for ``query`` with its values bound as parameters, as the app runs it."""
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    async with db.engine.connect() as connection:
        rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return " | ".join(str(row[-1]) for row in rows)


async def test_pending_lookups_read_the_partial_index(tmp_path: Path) -> None:
    db = await _migrated(tmp_path)
    try:
        per_batch = (
            select(claims.c.client_id)
            .where(claims.c.client_id.in_(["CL-1", "CL-2"]), IS_PENDING)
            .distinct()
        )
        sweeper = select(claims.c.client_id, claims.c.voucher_id).where(IS_PENDING).limit(500)
        assert "USING INDEX ix_claims_pending" in await _plan(db, per_batch)
        assert "USING INDEX ix_claims_pending" in await _plan(db, sweeper)
    finally:
        await db.dispose()


async def test_decided_lines_enter_only_the_indexes_queries_use(tmp_path: Path) -> None:
    db = await _migrated(tmp_path)
    try:
        async with db.engine.connect() as connection:
            rows = (await connection.exec_driver_sql("PRAGMA index_list(claims)")).all()
            named = {row._mapping["name"]: bool(row._mapping["partial"]) for row in rows}
        assert {name for name in named if name.startswith("ix_")} == {
            "ix_claims_client_id",
            "ix_claims_pending",
            "ix_claims_changes",
            "ix_claims_provider_changes",
        }
        assert named["ix_claims_pending"] is True
    finally:
        await db.dispose()


async def test_the_claims_list_reads_its_indexes_in_order(tmp_path: Path) -> None:
    db = await _migrated(tmp_path)
    try:
        after = Position(41, "CLM-1")
        own = await _plan(db, page_query(FeedFilter(provider_id="P1"), after, 51, "sqlite"))
        everyone = await _plan(db, page_query(FeedFilter(status="denied"), START, 51, "sqlite"))
        assert "USING INDEX ix_claims_provider_changes" in own
        assert "USING INDEX ix_claims_changes" in everyone
        assert "TEMP B-TREE" not in own + everyone  # no sort
    finally:
        await db.dispose()
