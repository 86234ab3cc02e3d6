"""Clients' decided history, kept in memory by a claim worker and refreshed by deltas.

The rule engine reads a client's allowed lines (limits per day, week, month and
episode; duplicates; conflicts) and the units and value already allowed on each
voucher. Reading them from the database for every batch costs more than deciding the
batch once clients have a program year of lines, so each worker keeps them here,
indexed by date (:class:`~services.claims.domain.model.PriorLines`), and hands them to
each batch to read (the batch decides on an overlay of them, never a copy): a batch
costs the same whatever the length of its clients' histories.

The database stays the only truth. Every claim write is serialised (SQLite's write
lock; a transaction-level advisory lock on PostgreSQL, :func:`lock_claim_writes`) and
numbers its decisions ``max(decision_seq) + 1``, so decision numbers are committed in
order. After its commit a worker adds the lines it stored (:meth:`HistoryCache.remember`).
Before each batch the cache reads which clients had allowed lines decided since the
highest number it has seen (an index range scan of two columns): a cached client with
a line it did not add itself (another worker's after a partition hand-over, a pending
line decided later) is dropped and read again in full when it next has a claim. A
client not in the cache is read in full. The least recently used clients are dropped
beyond ``max_clients``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.claims.adapters.claim_lines import HISTORY_COLUMNS, prior_line
from services.claims.adapters.orm import claims
from services.claims.domain.facts import VoucherUsage
from services.claims.domain.model import PriorLine, PriorLines

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


@dataclass
class StoredHistory:
    """One client's allowed lines and the usage of their vouchers, as stored."""

    lines: PriorLines = field(default_factory=PriorLines)
    usage: dict[str, VoucherUsage] = field(default_factory=dict)
    through: int = 0
    """The highest decision number reflected here."""

    def add(self, line: PriorLine, decision_seq: int | None) -> None:
        """Append an allowed line numbered ``decision_seq``."""
        self.lines.append(line)
        usage = self.usage.setdefault(line.voucher_id, VoucherUsage())
        usage.add(line.service_code, line.allowed_units, line.allowed_amount)
        self.through = max(self.through, decision_seq or 0)


async def read_histories(session: AsyncSession, client_ids: set[str]) -> dict[str, StoredHistory]:
    """The clients' histories straight from the database."""
    histories = {client_id: StoredHistory() for client_id in client_ids}
    if client_ids:
        rows = await session.execute(
            select(*HISTORY_COLUMNS)
            .where(claims.c.client_id.in_(client_ids), claims.c.allowed_units > 0)
            .order_by(claims.c.decision_seq)
        )
        for row in rows:
            histories[row.client_id].add(prior_line(row), row.decision_seq)
    return histories


class HistoryCache:
    """A worker's in-memory histories, current as of each batch's snapshot."""

    def __init__(self, max_clients: int = 20_000) -> None:
        self.max_clients = max_clients
        self._clients: OrderedDict[str, StoredHistory] = OrderedDict()
        self._applied = 0

    async def histories(
        self, session: AsyncSession, client_ids: set[str], decided_through: int
    ) -> dict[str, StoredHistory]:
        """The clients' histories as stored at this session's snapshot, to be read only
        (they are the cache's own: a batch decides on overlays of them).

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
            answer[client_id] = self._clients[client_id]
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        return answer

    def remember(self, client_id: str, line: PriorLine, decision_seq: int) -> None:
        """Add an allowed line this worker has just committed.

        Its batch was decided on this cache brought up to date in the writing
        transaction (the worker's change check), so the client's cached lines are
        complete up to ``decision_seq``.
        """
        cached = self._clients.get(client_id)
        if cached is not None and decision_seq > cached.through:
            cached.add(line, decision_seq)

    async def _apply_changes(self, session: AsyncSession, decided_through: int) -> None:
        """Drop cached clients with allowed lines decided since the applied mark that
        this worker did not add itself (they are read in full when next needed)."""
        if self._clients and decided_through > self._applied:
            rows = await session.execute(
                select(claims.c.client_id, claims.c.decision_seq).where(
                    claims.c.decision_seq > self._applied, claims.c.allowed_units > 0
                )
            )
            for client_id, decision_seq in rows:
                cached = self._clients.get(client_id)
                if cached is not None and decision_seq > cached.through:
                    del self._clients[client_id]
        self._applied = max(self._applied, decided_through)
