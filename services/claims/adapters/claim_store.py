"""The claim store: what the claim worker reads to decide lines and how it stores them.

:class:`SqlClaimStore` (SQLite or PostgreSQL) owns every query of the claims path:
which claim ids are new, the replicas and histories a batch is decided on (histories
through the worker's :class:`~services.claims.adapters.history.HistoryCache`), the
watermark that tells whether another writer touched the same clients or replicas
since, and the one writing transaction that numbers the decisions and stores lines
(each with the transaction's number, the claims list's order:
:mod:`~services.claims.adapters.claim_feed`) and outgoing events together
(transactional outbox). Writers are ordered per client
(the ``client_heads`` rows, :func:`~services.claims.adapters.history.advance_heads`),
never globally: two claim workers block each other only on a client they both write,
which happens only around a partition hand-over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, CLIENTS, PROVIDERS, VOUCHERS
from contracts.vouchers import VoucherSnapshot
from services.claims.adapters import claim_lines
from services.claims.adapters.claim_feed import change_number
from services.claims.adapters.history import (
    HistoryCache,
    StoredHistory,
    advance_heads,
    read_heads,
    read_histories,
)
from services.claims.adapters.orm import (
    DECISION_SEQ,
    IS_PENDING,
    claims,
    client_replica,
    provider_replica,
    subject_versions,
    voucher_replica,
)
from services.claims.domain.facts import Client, Provider, Voucher
from services.claims.domain.model import ClaimLine, Decision, PriorLine
from services.claims.settings import ClaimsSettings
from services.kit.bulk import PreparedInsert, execute_prepared, prepare_rows
from services.kit.runtime import ServiceRuntime
from services.kit.subject_versions import read_totals, read_versions
from services.kit.unit_of_work import UnitOfWork

Decided = tuple[ClaimLine, Decision]
"""A line and its decision (pending included), in the order they were decided."""


@dataclass(frozen=True)
class Watermark:
    """Where the stored state stood when a batch's snapshot was read: each client's
    head version and the replicas' versions."""

    heads: dict[str, int]
    voucher_versions: dict[str, int]
    provider_as_of: dict[str, Any]


@dataclass(frozen=True)
class Loaded:
    """Lines to decide and everything stored they are decided on, read in one snapshot.

    ``lines`` are the lines not stored yet (first occurrence of each claim id), in the
    order received, out of ``batch``, the lines asked for (``mark`` covers their ids);
    ``histories`` the clients' allowed lines and voucher usage (read only: the batch
    decides on overlays of them); ``pending_clients`` the clients with a pending line,
    whose later lines wait behind it (SPEC §2 keys).
    """

    lines: Sequence[ClaimLine]
    batch: Sequence[ClaimLine] = ()
    vouchers: Mapping[str, Voucher] = field(default_factory=dict)
    providers: Mapping[str, Provider] = field(default_factory=dict)
    clients: Mapping[str, Client] = field(default_factory=dict)
    histories: Mapping[str, StoredHistory] = field(default_factory=dict)
    pending_clients: frozenset[str] = frozenset()
    mark: Watermark | None = None
    versions: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Per fact topic, the replica's count of applied facts for each subject of
    ``lines`` (the fence compares them with the owners')."""
    totals: Mapping[str, int] = field(default_factory=dict)
    """Per fact topic, the replica's count of all applied facts."""
    client_vouchers: Mapping[str, tuple[Voucher, ...]] = field(default_factory=dict)
    """Every voucher of each client of ``lines`` in the replica (who else holds the
    client for a service: SPEC §3.3 no concurrent subsidy)."""


Redecide = Callable[[Loaded], list[Decided]]
"""Decides a batch again on a fresh :class:`Loaded` (the watermark moved)."""


class ClaimStore(Protocol):
    """What the claims path reads and writes: lines to decide with their facts and
    histories, and their decisions with the outgoing events (one transaction)."""

    async def load(self, lines: Sequence[ClaimLine]) -> Loaded:
        """The new lines among ``lines`` and what they are decided on."""
        ...

    async def save(
        self, decided: list[Decided], loaded: Loaded, redecide: Redecide, now: datetime
    ) -> list[Decided]:
        """Store the decisions and their events; decide again if ``loaded`` is stale."""
        ...

    async def load_pending(self, uow: UnitOfWork, client_ids: set[str]) -> Loaded:
        """The clients' pending lines and what they are decided on, in ``uow``."""
        ...

    async def save_pending(self, uow: UnitOfWork, decided: Sequence[Decided], now: datetime) -> int:
        """Store the decisions of pending lines in ``uow``; how many were decided."""
        ...

    async def pending_vouchers(self, limit: int) -> list[tuple[str, str]]:
        """(client id, voucher id) pairs of pending lines."""
        ...


class SqlClaimStore:
    """:class:`ClaimStore` on the service's database (SQLite or PostgreSQL), with the
    worker's history cache."""

    def __init__(self, runtime: ServiceRuntime[ClaimsSettings], history: HistoryCache) -> None:
        self.runtime = runtime
        self.history = history

    async def load(self, lines: Sequence[ClaimLine]) -> Loaded:
        """The lines of ``lines`` not stored yet and the state they are decided on, with
        where the stored state stood (read first: a line stored after it, even one of
        this batch, is newer than the mark, so :meth:`save` sees it)."""
        async with self.runtime.db.read_sessions() as session:
            return await self._load(session, lines)

    async def save(
        self, decided: list[Decided], loaded: Loaded, redecide: Redecide, now: datetime
    ) -> list[Decided]:
        """Store ``decided`` and their events in ONE transaction; returns what was stored.

        Events and rows are bound first. Then the clients' heads are locked and moved
        on: if another writer stored or decided lines of these clients since ``loaded``
        was read (a partition hand-over), or a voucher or provider replica changed, the
        batch is read again and decided again by ``redecide``, under the lock. Then the
        decisions are numbered, every line is written, and it commits. The committed
        allowed lines join the history cache at the heads' new versions.
        """
        assert loaded.mark is not None
        client_ids, voucher_ids, provider_ids = _ids(loaded.lines)
        async with self.runtime.unit_of_work() as uow:
            rows = self._prepare(uow, decided, now)
            heads = await advance_heads(uow.session, client_ids)
            if any(loaded.mark.heads.get(c, 0) != v for c, v in heads.items()) or (
                await replicas_changed(uow.session, loaded.mark, voucher_ids, provider_ids)
            ):
                loaded = await self._load(uow.session, loaded.lines, heads)
                decided = redecide(loaded)
                uow.discard_events()
                rows = self._prepare(uow, decided, now)
            seqs = await self._number(uow.session, decided)
            if rows is not None:
                rows.set_column("decision_seq", seqs)
                rows.set_column("changed_in", [await change_number(uow.session)] * len(decided))
                await execute_prepared(uow.session, rows)
            await uow.commit()
        self._count_decisions(decided, now)
        written: dict[str, tuple[int, list[PriorLine]]] = {
            client_id: (version + 1, []) for client_id, version in heads.items()
        }
        for line, decision in decided:
            # the history holds lines with allowed units, as read_histories reads them
            if not decision.pending and decision.allowed_units > 0:
                written[line.client_id][1].append(
                    line.allowed(
                        decision.allowed_units, decision.allowed_amount, decision.allowed_days
                    )
                )
        self.history.remember(written)
        return decided

    async def load_pending(self, uow: UnitOfWork, client_ids: set[str]) -> Loaded:
        """The clients' pending lines in the order received, and the state they are
        decided on, read in ``uow`` under the locks of the clients that have any
        (their heads move on: the lines will be decided or stay pending)."""
        waiting = set(
            await uow.session.scalars(
                select(claims.c.client_id)
                .where(claims.c.client_id.in_(client_ids), IS_PENDING)
                .distinct()
            )
        )
        if not waiting:
            return Loaded(lines=[])
        await advance_heads(uow.session, waiting)
        rows = await uow.session.execute(
            select(claims.c.line)
            .where(claims.c.client_id.in_(waiting), IS_PENDING)
            .order_by(claims.c.seq)
        )
        lines = [claim_lines.line_from_stored(row.line) for row in rows]
        if not lines:
            return Loaded(lines=lines)
        loaded = await _facts(
            uow.session, lines, await read_histories(uow.session, _clients(lines))
        )
        return Loaded(
            lines=lines,
            vouchers=loaded.vouchers,
            providers=loaded.providers,
            clients=loaded.clients,
            histories=loaded.histories,
            pending_clients=loaded.pending_clients - waiting,
            versions=loaded.versions,
            totals=loaded.totals,
            client_vouchers=loaded.client_vouchers,
        )

    async def save_pending(self, uow: UnitOfWork, decided: Sequence[Decided], now: datetime) -> int:
        """Number and store the decisions of pending lines (those still pending stay
        as they are) and emit their events, in ``uow``; returns how many were decided."""
        done = [(line, decision) for line, decision in decided if not decision.pending]
        if not done:
            return 0
        self._emit(uow, done, now)
        uow.after_commit(partial(self._count_decisions, done, now))
        seqs = await self._number(uow.session, done)
        changed_in = await change_number(uow.session)
        for (line, decision), seq in zip(done, seqs, strict=True):
            await uow.session.execute(
                claims.update()
                .where(claims.c.claim_id == line.claim_id)
                .values(**claim_lines.decision_values(decision, now, seq), changed_in=changed_in)
            )
        return len(done)

    async def pending_vouchers(self, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` (client id, voucher id) pairs of pending lines."""
        async with self.runtime.db.read_sessions() as session:
            rows = await session.execute(
                select(claims.c.client_id, claims.c.voucher_id).where(IS_PENDING).limit(limit)
            )
            return [(client_id, voucher_id) for client_id, voucher_id in rows]

    async def _load(
        self,
        session: AsyncSession,
        lines: Sequence[ClaimLine],
        heads: dict[str, int] | None = None,
    ) -> Loaded:
        """What :meth:`load` reads, in ``session``; ``heads`` when the caller holds the
        clients' locks and knows their versions (else they are read first)."""
        clients, vouchers, providers = _ids(lines)
        mark = await watermark(session, clients, vouchers, providers, heads)
        fresh = await self._new_only(session, lines)
        if not fresh:
            return Loaded(lines=fresh, batch=lines, mark=mark)
        histories = await self.history.histories(
            session, {client_id: mark.heads[client_id] for client_id in _clients(fresh)}
        )
        loaded = await _facts(session, fresh, histories)
        return Loaded(
            lines=fresh,
            batch=lines,
            vouchers=loaded.vouchers,
            providers=loaded.providers,
            clients=loaded.clients,
            histories=histories,
            pending_clients=loaded.pending_clients,
            mark=mark,
            versions=loaded.versions,
            totals=loaded.totals,
            client_vouchers=loaded.client_vouchers,
        )

    async def _new_only(self, session: AsyncSession, lines: Sequence[ClaimLine]) -> list[ClaimLine]:
        """The lines not stored yet, first occurrence of each claim id (idempotency)."""
        ids = [line.claim_id for line in lines]
        known = set(
            await session.scalars(select(claims.c.claim_id).where(claims.c.claim_id.in_(ids)))
        )
        seen: set[str] = set()
        fresh = []
        for line in lines:
            if line.claim_id in known or line.claim_id in seen:
                self.runtime.metrics.events_duplicate.labels(
                    self.runtime.metrics.service, CLAIMS_SUBMITTED.name
                ).inc()
                continue
            seen.add(line.claim_id)
            fresh.append(line)
        return fresh

    def _prepare(
        self, uow: UnitOfWork, decided: Sequence[Decided], now: datetime
    ) -> PreparedInsert | None:
        """Emit the decisions' events and bind them and the ``claims`` rows, before the
        writing transaction's locks (only the decision numbers are left for then)."""
        self._emit(uow, decided, now)
        uow.prepare()
        if not decided:
            return None
        rows = [
            claim_lines.line_values(line, now)
            | claim_lines.decision_values(decision, now, None)
            | {"changed_in": 0}  # the writing transaction's number, set under the locks
            for line, decision in decided
        ]
        return prepare_rows(claims, self.runtime.db.engine.dialect, rows)

    def _count_decisions(self, decided: Iterable[Decided], now: datetime) -> None:
        """Export committed decisions: ``atr_claim_decisions_total`` by outcome and
        ``atr_adjudication_latency_seconds`` from each line's ``submitted_at`` to ``now``
        (pending lines are not decisions and are skipped)."""
        self.runtime.metrics.adjudication.record(
            ((decision.outcome, line.submitted_at) for line, decision in decided), now
        )

    @staticmethod
    def _emit(uow: UnitOfWork, decided: Iterable[Decided], now: datetime) -> None:
        """``atr.claims.adjudicated.v1`` for each decided line, in order (through the
        outbox; pending lines emit nothing yet). The events carry no decision number,
        so they are serialised before the clients' heads are locked."""
        for line, decision in decided:
            if not decision.pending:
                uow.emit(CLAIMS_ADJUDICATED, claim_lines.adjudicated_event(line, decision, now))

    @staticmethod
    async def _number(session: AsyncSession, decided: Sequence[Decided]) -> list[int | None]:
        """Each decided line's ``decision_seq`` (None for a pending line): from the
        ``claims_decision_seq`` sequence on PostgreSQL, increasing in each client's
        decision order (its writers queue on its head); on SQLite, whose writers are
        serial, counting on from the highest."""
        count = sum(1 for _, decision in decided if not decision.pending)
        if count == 0:
            return [None] * len(decided)
        if (await session.connection()).dialect.name == "postgresql":
            fresh = sorted(
                await session.scalars(
                    select(DECISION_SEQ.next_value()).select_from(func.generate_series(1, count))
                )
            )
        else:
            first = int(await session.scalar(select(func.max(claims.c.decision_seq))) or 0) + 1
            fresh = list(range(first, first + count))
        numbers = iter(fresh)
        return [None if decision.pending else next(numbers) for _, decision in decided]


async def _facts(
    session: AsyncSession, lines: Sequence[ClaimLine], histories: Mapping[str, StoredHistory]
) -> Loaded:
    """Replicas, their versions and pending clients for ``lines`` (one round trip per
    table and fact topic)."""
    client_ids, voucher_ids, provider_ids = _ids(lines)
    vouchers = {
        row.voucher_id: claim_lines.voucher_from_snapshot(
            VoucherSnapshot.model_validate(row.snapshot)
        )
        for row in await session.execute(
            select(voucher_replica.c.voucher_id, voucher_replica.c.snapshot).where(
                voucher_replica.c.voucher_id.in_(voucher_ids)
            )
        )
    }
    client_vouchers: dict[str, list[Voucher]] = {}
    for row in await session.execute(
        select(voucher_replica.c.snapshot).where(voucher_replica.c.client_id.in_(client_ids))
    ):
        voucher = claim_lines.voucher_from_snapshot(VoucherSnapshot.model_validate(row.snapshot))
        client_vouchers.setdefault(voucher.client_id, []).append(voucher)
    providers = {
        row.provider_id: claim_lines.provider_from_row(row)
        for row in await session.execute(
            select(provider_replica).where(provider_replica.c.provider_id.in_(provider_ids))
        )
    }
    clients = {
        row.client_id: claim_lines.client_from_row(row)
        for row in await session.execute(
            select(client_replica).where(client_replica.c.client_id.in_(client_ids))
        )
    }
    pending = await session.scalars(
        select(claims.c.client_id).where(claims.c.client_id.in_(client_ids), IS_PENDING).distinct()
    )
    totals = await read_totals(
        session, subject_versions, (CLIENTS.name, PROVIDERS.name, VOUCHERS.name)
    )
    versions = await read_versions(
        session,
        subject_versions,
        {CLIENTS.name: client_ids, PROVIDERS.name: provider_ids, VOUCHERS.name: voucher_ids},
    )
    return Loaded(
        lines=lines,
        vouchers=vouchers,
        providers=providers,
        clients=clients,
        histories=histories,
        pending_clients=frozenset(pending),
        versions=versions,
        totals=totals,
        client_vouchers={c: tuple(v) for c, v in client_vouchers.items()},
    )


async def watermark(
    session: AsyncSession,
    client_ids: set[str],
    voucher_ids: set[str],
    provider_ids: set[str],
    heads: dict[str, int] | None = None,
) -> Watermark:
    """The clients' head versions (read first, unless given) and the replicas'
    versions."""
    return Watermark(
        heads=heads if heads is not None else await read_heads(session, client_ids),
        voucher_versions=await _voucher_versions(session, voucher_ids),
        provider_as_of=await _provider_as_of(session, provider_ids),
    )


async def replicas_changed(
    session: AsyncSession, mark: Watermark, voucher_ids: set[str], provider_ids: set[str]
) -> bool:
    """Whether a voucher or provider replica a snapshot taken at ``mark`` read has
    changed since (its version or ``as_of`` moved)."""
    return await _voucher_versions(session, voucher_ids) != {
        v: n for v, n in mark.voucher_versions.items() if v in voucher_ids
    } or await _provider_as_of(session, provider_ids) != {
        p: t for p, t in mark.provider_as_of.items() if p in provider_ids
    }


async def _voucher_versions(session: AsyncSession, voucher_ids: set[str]) -> dict[str, int]:
    rows = await session.execute(
        select(voucher_replica.c.voucher_id, voucher_replica.c.version).where(
            voucher_replica.c.voucher_id.in_(voucher_ids)
        )
    )
    return {row.voucher_id: row.version for row in rows}


async def _provider_as_of(session: AsyncSession, provider_ids: set[str]) -> dict[str, Any]:
    rows = await session.execute(
        select(provider_replica.c.provider_id, provider_replica.c.as_of).where(
            provider_replica.c.provider_id.in_(provider_ids)
        )
    )
    return {row.provider_id: row.as_of for row in rows}


def _clients(lines: Iterable[ClaimLine]) -> set[str]:
    return {line.client_id for line in lines}


def _ids(lines: Iterable[ClaimLine]) -> tuple[set[str], set[str], set[str]]:
    """The client, voucher and provider ids a batch is decided on."""
    lines = list(lines)
    return (
        {line.client_id for line in lines},
        {line.voucher_id for line in lines},
        {line.provider_id for line in lines},
    )
