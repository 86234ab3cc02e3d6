"""The worker's snapshot fingerprint (``watermark``): right, and cheap however many lines.

It is read before every batch; a query that scanned the claims table made every batch
cost more as the table grew (the benchmark's CPU per claim rose drain after drain).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from services.claims.adapters.claim_store import HIGHEST_NUMBERS, watermark
from services.claims.adapters.orm import claims
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _line(n: int, decision_seq: int | None) -> dict[str, Any]:
    return {
        "claim_id": f"CLM-{n:04d}",
        "claim_ref": f"R{n}",
        "provider_id": "P1",
        "client_id": f"C{n % 3}",
        "voucher_id": "V1",
        "service_code": "RECOVERY_MENTORING_IND",
        "service_date": date(2026, 11, 1),
        "status": "pending" if decision_seq is None else "approved",
        "billed_units": 1,
        "allowed_units": 0 if decision_seq is None else 1,
        "denied_units": 0,
        "unit_rate": Decimal("5.00"),
        "allowed_amount": Decimal("0.00") if decision_seq is None else Decimal("5.00"),
        "denied_amount": Decimal("0.00"),
        "reasons": [],
        "line": {},
        "submitted_at": NOW,
        "received_at": NOW,
        "decision_seq": decision_seq,
    }


async def test_watermark_is_the_highest_line_and_decision_numbers(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, "claims", database_url)
    db = Database(database_url)
    try:
        async with db.read_sessions() as session:
            empty = await watermark(session, set(), set())
        assert (empty.max_seq, empty.max_decision_seq) == (0, 0)
        # the last line stored is pending: the highest decision is an earlier line's
        async with db.sessions() as session, session.begin():
            await session.execute(
                claims.insert(), [_line(1, 7), _line(2, 9), _line(3, 8), _line(4, None)]
            )
        async with db.read_sessions() as session:
            mark = await watermark(session, set(), set())
            seqs = sorted((await session.execute(claims.select())).all(), key=lambda r: r.seq)
        assert mark.max_seq == seqs[-1].seq
        assert mark.max_decision_seq == 9
    finally:
        await db.dispose()


def test_the_highest_numbers_are_read_from_the_index_ends_not_by_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "claims.db"
    upgrade_to_head("claims", f"sqlite+aiosqlite:///{path}")
    sql = str(HIGHEST_NUMBERS.compile(dialect=sqlite.dialect()))
    connection = sqlite3.connect(path)
    try:
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        connection.close()
    assert not [step for step in plan if step.startswith("SCAN claims")], plan
    assert sum(step.startswith("SEARCH claims") for step in plan) == 2, plan
