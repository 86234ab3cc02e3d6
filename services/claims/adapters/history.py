"""Clients' decided history, kept in memory by a claim worker, checked per client.

The rule engine reads a client's allowed lines (limits per day, week, month and
episode; duplicates; conflicts) and the units and value already allowed on each
voucher. Reading them from the database for every batch costs more than deciding the
batch once clients have a program year of lines, so each worker keeps them here,
indexed by date (:class:`~services.claims.domain.model.PriorLines`), and hands them to
each batch to read (the batch decides on an overlay of them, never a copy): a batch
costs the same whatever the length of its clients' histories.

The database stays the only truth. Every write that stores or decides lines of a client
locks and bumps the client's head (``client_heads``, :func:`lock_heads`). The cache
keeps each client's lines at the head version they reflect: a client whose stored head
has moved past the cached one (another worker's write after a partition hand-over, a
pending line decided later) is read again in full; after its own commit a worker adds
the lines it stored at the version it wrote (:meth:`HistoryCache.remember`). The least
recently used clients are dropped beyond ``max_clients``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.claims.adapters.claim_lines import HISTORY_COLUMNS, prior_line
from services.claims.adapters.orm import claims, client_heads
from services.claims.domain.facts import VoucherUsage
from services.claims.domain.model import PriorLine, PriorLines


async def read_heads(session: AsyncSession, client_ids: set[str]) -> dict[str, int]:
    """The clients' stored head versions (0 for a client never written)."""
    rows = await session.execute(
        select(client_heads.c.client_id, client_heads.c.version).where(
            client_heads.c.client_id.in_(client_ids)
        )
    )
    found = dict.fromkeys(client_ids, 0)
    found.update({row.client_id: int(row.version) for row in rows})
    return found


async def advance_heads(session: AsyncSession, client_ids: set[str]) -> dict[str, int]:
    """Lock the clients' heads for the rest of this transaction and move each one
    version on (a missing head starts at 1); returns the versions they had.

    One ``INSERT … ON CONFLICT DO UPDATE`` in client id order: writers of the same
    clients queue on these rows in the same order (no deadlock), writers of other
    clients do not wait for each other.
    """
    if not client_ids:
        return {}
    dialect = (await session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(client_heads).values(
        [{"client_id": client_id, "version": 1} for client_id in sorted(client_ids)]
    )
    rows = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[client_heads.c.client_id],
            set_={"version": client_heads.c.version + 1},
        ).returning(client_heads.c.client_id, client_heads.c.version)
    )
    return {row.client_id: int(row.version) - 1 for row in rows}


@dataclass
class StoredHistory:
    """One client's allowed lines and the usage of their vouchers, as stored."""

    lines: PriorLines = field(default_factory=PriorLines)
    usage: dict[str, VoucherUsage] = field(default_factory=dict)
    version: int = 0
    """The client's head version these lines reflect."""

    def add(self, line: PriorLine) -> None:
        """Append an allowed line."""
        self.lines.append(line)
        usage = self.usage.setdefault(line.voucher_id, VoucherUsage())
        usage.add(line.service_code, line.allowed_units, line.allowed_amount)


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
            histories[row.client_id].add(prior_line(row))
    return histories


class HistoryCache:
    """A worker's in-memory histories, each at the head version it reflects."""

    def __init__(self, max_clients: int = 20_000) -> None:
        self.max_clients = max_clients
        self._clients: OrderedDict[str, StoredHistory] = OrderedDict()

    async def histories(
        self, session: AsyncSession, heads: dict[str, int]
    ) -> dict[str, StoredHistory]:
        """The clients' histories as stored at ``heads`` (read earlier in this session),
        to be read only (they are the cache's own: a batch decides on overlays of them).
        A client cached at another version, or not cached, is read in full."""
        stale = {
            client_id
            for client_id, version in heads.items()
            if (cached := self._clients.get(client_id)) is None or cached.version != version
        }
        for client_id, history in (await read_histories(session, stale)).items():
            history.version = heads[client_id]
            self._clients[client_id] = history
        answer = {}
        for client_id in heads:
            self._clients.move_to_end(client_id)
            answer[client_id] = self._clients[client_id]
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        return answer

    def remember(self, written: dict[str, tuple[int, list[PriorLine]]]) -> None:
        """After a commit: per client, the head version it wrote (one past the version
        it was decided on) and the allowed lines it stored. A client cached at the
        version before moves on with them; any other cached version is left to be
        read again."""
        for client_id, (version, lines) in written.items():
            cached = self._clients.get(client_id)
            if cached is None:
                continue
            if cached.version != version - 1:
                del self._clients[client_id]
                continue
            for line in lines:
                cached.add(line)
            cached.version = version
