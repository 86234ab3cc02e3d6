"""Loading what adjudication needs for a batch of claims, in one round trip per table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.vouchers import VoucherSnapshot
from services.claims.adapters.orm import (
    IS_PENDING,
    claims,
    client_replica,
    provider_replica,
    voucher_replica,
)
from services.claims.domain.checks import ProviderFacts, VoucherUsage
from services.claims.domain.model import PriorLines, StaffRecord, StatusPeriod
from services.claims.service_layer.history import HistoryCache, read_histories


@dataclass(frozen=True)
class ClientFacts:
    """A client's replica row: eligibility, age group, treatment statuses, attributes."""

    eligible: bool | None = None
    minor: bool = False
    statuses: tuple[StatusPeriod, ...] = ()
    attributes: frozenset[str] = frozenset()


@dataclass
class BatchState:
    """Replicas, ledgers and histories for the clients, vouchers and providers in a batch."""

    vouchers: dict[str, VoucherSnapshot] = field(default_factory=dict)
    providers: dict[str, ProviderFacts] = field(default_factory=dict)
    clients: dict[str, ClientFacts] = field(default_factory=dict)
    usage: dict[str, VoucherUsage] = field(default_factory=dict)
    prior: dict[str, PriorLines] = field(default_factory=dict)
    pending_clients: set[str] = field(default_factory=set)

    def prior_of(self, client_id: str) -> PriorLines:
        """The client's allowed lines, the batch's own included as they are decided."""
        lines = self.prior.get(client_id)
        if lines is None:
            lines = self.prior[client_id] = PriorLines()
        return lines

    def staff_record(self, provider_id: str, staff_id: str) -> StaffRecord | None:
        """The roster entry of a provider's staff member, if any."""
        provider = self.providers.get(provider_id)
        member = provider.staff.get(staff_id) if provider else None
        if member is None:
            return None
        checked = member.get("background_check_date")
        return StaffRecord(
            staff_id=staff_id,
            credentials=frozenset(member.get("credentials", [])),
            months_experience=int(member.get("months_experience", 0)),
            supervised=bool(member.get("supervised", False)),
            background_check_date=date.fromisoformat(checked) if checked else None,
        )


async def load_vouchers(session: AsyncSession, voucher_ids: set[str]) -> dict[str, VoucherSnapshot]:
    """Voucher replicas by id."""
    if not voucher_ids:
        return {}
    rows = await session.execute(
        select(voucher_replica.c.voucher_id, voucher_replica.c.snapshot).where(
            voucher_replica.c.voucher_id.in_(voucher_ids)
        )
    )
    return {row.voucher_id: VoucherSnapshot.model_validate(row.snapshot) for row in rows}


async def load_state(
    session: AsyncSession,
    client_ids: set[str],
    voucher_ids: set[str],
    provider_ids: set[str],
    *,
    history: HistoryCache | None = None,
    decided_through: int = 0,
) -> BatchState:
    """Everything the checks and the catalog engine read, for these ids.

    Histories come from ``history`` (refreshed up to ``decided_through``) when given,
    else straight from the database.
    """
    state = BatchState(vouchers=await load_vouchers(session, voucher_ids))
    if provider_ids:
        for row in await session.execute(
            select(provider_replica).where(provider_replica.c.provider_id.in_(provider_ids))
        ):
            state.providers[row.provider_id] = ProviderFacts(
                provider_id=row.provider_id,
                status=row.status,
                services=frozenset(row.services),
                staff={member["staff_id"]: member for member in row.staff},
            )
    if client_ids:
        for row in await session.execute(
            select(client_replica).where(client_replica.c.client_id.in_(client_ids))
        ):
            state.clients[row.client_id] = ClientFacts(
                eligible=row.eligible,
                minor=row.minor,
                statuses=tuple(
                    StatusPeriod(s["status"], date.fromisoformat(s["effective_from"]))
                    for s in row.statuses
                ),
                attributes=frozenset(row.attributes),
            )
        pending = await session.scalars(
            select(claims.c.client_id)
            .where(claims.c.client_id.in_(client_ids), IS_PENDING)
            .distinct()
        )
        state.pending_clients.update(pending)
        histories = (
            await history.histories(session, client_ids, decided_through)
            if history is not None
            else await read_histories(session, client_ids)
        )
        for client_id, client_history in histories.items():
            state.prior[client_id] = client_history.lines
            state.usage.update(client_history.usage)
    return state


@dataclass(frozen=True)
class Watermark:
    """Where the stored state stood when a batch's snapshot was read."""

    max_seq: int
    max_decision_seq: int
    voucher_versions: dict[str, int]
    provider_as_of: dict[str, Any]


HIGHEST_NUMBERS = select(
    select(func.max(claims.c.seq)).scalar_subquery(),
    select(func.max(claims.c.decision_seq)).scalar_subquery(),
)
"""The highest ``seq`` and ``decision_seq``, one subquery each: SQLite answers a lone
``max()`` from the end of its index, but ``SELECT max(seq), max(decision_seq)`` scanned
the whole ``decision_seq`` index, in every batch, so a worker slowed as the table grew
(in the benchmark one worker's CPU per claim rose from 173 to 229 µs over ~240,000
lines; with the subqueries 180 to 189 µs, and 185 to 210 µs in a noisier run)."""


async def watermark(
    session: AsyncSession, voucher_ids: set[str], provider_ids: set[str]
) -> Watermark:
    """The highest line and decision numbers stored, and the replicas' versions."""
    marks = (await session.execute(HIGHEST_NUMBERS)).one()
    return Watermark(
        max_seq=int(marks[0] or 0),
        max_decision_seq=int(marks[1] or 0),
        voucher_versions=await _voucher_versions(session, voucher_ids),
        provider_as_of=await _provider_as_of(session, provider_ids),
    )


async def changed_since(
    session: AsyncSession,
    mark: Watermark,
    client_ids: set[str],
    voucher_ids: set[str],
    provider_ids: set[str],
) -> bool:
    """Whether anything a snapshot taken at ``mark`` read for these ids has changed.

    A line stored for one of the clients has a higher ``seq``, a line decided later
    (a pending one) a higher ``decision_seq``; both are found by index range scans of
    just what was written since. A voucher or provider replica update moves its
    version or ``as_of``. The worker decides a batch on a snapshot and calls this in
    its writing transaction (optimistic concurrency).
    """
    touched = set(
        await session.scalars(select(claims.c.client_id).where(claims.c.seq > mark.max_seq))
    )
    touched.update(
        await session.scalars(
            select(claims.c.client_id).where(claims.c.decision_seq > mark.max_decision_seq)
        )
    )
    return bool(
        touched & client_ids
        or await _voucher_versions(session, voucher_ids) != mark.voucher_versions
        or await _provider_as_of(session, provider_ids) != mark.provider_as_of
    )


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
