"""Clients' decided history, kept in memory by a claim worker and refreshed by deltas.

The rule engine reads every allowed line of a client (limits per day, week, month and
episode; duplicates; conflicts) and the units and value already allowed on each
voucher. Reading them from the database for every batch costs more than deciding the
batch once clients have a program year of lines, so each worker keeps them here.

The database stays the only truth. Every claim write is serialised (SQLite's write
lock; a transaction-level advisory lock on PostgreSQL, :func:`lock_claim_writes`) and
numbers its decisions ``max(decision_seq) + 1``, so decision numbers are committed in
order. Before each batch the cache reads just the allowed lines decided since the
highest number it has applied (an index range scan) and appends them: lines this
worker wrote, lines another worker wrote after a partition hand-over, pending lines
decided later. A client not in the cache is read in full. The least recently used
clients are dropped beyond ``max_clients`` and simply read again when they return.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.claims.adapters.orm import claims
from services.claims.domain.checks import VoucherUsage
from services.claims.domain.model import PriorLine

CLAIM_WRITES_LOCK = 0x41545243
"""PostgreSQL advisory lock key ("ATRC") every transaction writing claim lines takes."""


async def lock_claim_writes(session: AsyncSession) -> None:
    """Serialise claim writes for the rest of this transaction (PostgreSQL).

    SQLite transactions here begin ``IMMEDIATE`` and are serial already. On PostgreSQL
    the advisory lock makes ``decision_seq`` and ``seq`` commit in numbering order, which
    the history cache and the worker's change check rely on.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_WRITES_LOCK}
        )


HISTORY_COLUMNS = (
    claims.c.claim_id,
    claims.c.provider_id,
    claims.c.client_id,
    claims.c.voucher_id,
    claims.c.service_code,
    claims.c.service_date,
    claims.c.allowed_units,
    claims.c.allowed_amount,
    claims.c.start_time,
    claims.c.end_time,
    claims.c.miles,
    claims.c.pass_type,
    claims.c.activity,
    claims.c.face_to_face,
    claims.c.decision_seq,
)
"""What the rule engine reads of a client's earlier allowed lines."""


def prior_line(row: Any) -> PriorLine:
    """The engine's view of a stored allowed line."""
    return PriorLine(
        claim_id=row.claim_id,
        provider_id=row.provider_id,
        voucher_id=row.voucher_id,
        service_code=row.service_code,
        service_date=row.service_date,
        allowed_units=row.allowed_units,
        allowed_amount=Decimal(row.allowed_amount),
        start_time=row.start_time,
        end_time=row.end_time,
        miles=None if row.miles is None else Decimal(row.miles),
        pass_type=row.pass_type,
        activity=row.activity,
        face_to_face=row.face_to_face,
    )


@dataclass
class ClientHistory:
    """One client's allowed lines in decision order and the usage of their vouchers."""

    lines: list[PriorLine] = field(default_factory=list)
    usage: dict[str, VoucherUsage] = field(default_factory=dict)
    through: int = 0
    """The highest decision number reflected here."""

    def add(self, row: Any) -> None:
        """Append a stored allowed line."""
        self.lines.append(prior_line(row))
        usage = self.usage.setdefault(row.voucher_id, VoucherUsage())
        usage.add(row.service_code, row.allowed_units, Decimal(row.allowed_amount))
        self.through = max(self.through, row.decision_seq or 0)


async def read_histories(session: AsyncSession, client_ids: set[str]) -> dict[str, ClientHistory]:
    """The clients' histories straight from the database."""
    histories = {client_id: ClientHistory() for client_id in client_ids}
    if client_ids:
        rows = await session.execute(
            select(*HISTORY_COLUMNS)
            .where(claims.c.client_id.in_(client_ids), claims.c.allowed_units > 0)
            .order_by(claims.c.decision_seq)
        )
        for row in rows:
            histories[row.client_id].add(row)
    return histories


class HistoryCache:
    """A worker's in-memory histories, current as of each batch's snapshot."""

    def __init__(self, max_clients: int = 20_000) -> None:
        self.max_clients = max_clients
        self._clients: OrderedDict[str, ClientHistory] = OrderedDict()
        self._applied = 0

    async def histories(
        self, session: AsyncSession, client_ids: set[str], decided_through: int
    ) -> dict[str, ClientHistory]:
        """Copies of the clients' histories as stored at this session's snapshot.

        ``decided_through`` is the highest ``decision_seq`` stored, read earlier in
        the same session: every line numbered up to it is committed, so it is safe to
        advance the applied mark to it.
        """
        await self._apply_changes(session, decided_through)
        missing = client_ids - self._clients.keys()
        for client_id, history in (await read_histories(session, missing)).items():
            history.through = max(history.through, decided_through)
            self._clients[client_id] = history
        answer = {}
        for client_id in client_ids:
            self._clients.move_to_end(client_id)
            cached = self._clients[client_id]
            answer[client_id] = ClientHistory(
                lines=list(cached.lines),
                usage={v: u.copy() for v, u in cached.usage.items()},
                through=cached.through,
            )
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        return answer

    async def _apply_changes(self, session: AsyncSession, decided_through: int) -> None:
        """Append the allowed lines decided since the applied mark to cached clients."""
        if self._clients and decided_through > self._applied:
            rows = await session.execute(
                select(*HISTORY_COLUMNS)
                .where(claims.c.decision_seq > self._applied, claims.c.allowed_units > 0)
                .order_by(claims.c.decision_seq)
            )
            for row in rows:
                cached = self._clients.get(row.client_id)
                if cached is not None and row.decision_seq > cached.through:
                    cached.add(row)
                self._applied = max(self._applied, row.decision_seq)
        self._applied = max(self._applied, decided_through)
