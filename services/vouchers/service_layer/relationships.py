"""Which providers hold, or recently held, a client's vouchers (SPEC §4, §5).

A provider token may read and write a client's outcome data only while its provider
holds one of the client's vouchers, or for ``relationship_grace_days`` after that
relationship ended (discharge reporting). Vouchers owns the relationship; the gateway
asks :func:`relationship` at request time, so a selection made a moment ago counts at
once (read-your-writes), and a move to another provider ends it at once.

The history comes from the decision log (``voucher_decisions``), written in the same
transaction as every selection, discharge, closure and expiry; it keeps the provider of
each selection, so a provider whose voucher moved to another provider is still known.

A provider holds a voucher from its selection (the packet is made available to it,
:func:`use_cases.visible_to`) until the relationship ends:

* a discharge: on the reported ``discharged_on``;
* an early closure: on its ``closed_on``;
* an expiry: on the voucher's last valid day (``valid_until``), whether or not the
  scheduler has already marked it expired;
* the voucher moved to another provider (a new selection): the day it was recorded.

It may then still report until ``ended_on + grace_days`` inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import voucher_decisions, vouchers

HELD_STATES = ("provider_selected", "active")
"""Voucher states in which the selected provider holds the relationship."""
ENDING_ACTIONS = ("discharged", "closed", "expired")
TRACKED_ACTIONS = ("provider_selected", *ENDING_ACTIONS)


@dataclass(frozen=True)
class VoucherRow:
    """The current state of one voucher, as far as relationships need it."""

    voucher_id: str
    status: str
    provider_id: str | None
    valid_until: date


@dataclass(frozen=True)
class Change:
    """One logged lifecycle decision on a voucher (selection or an ending)."""

    voucher_id: str
    version: int
    action: str
    detail: Mapping[str, Any]
    recorded_on: date


@dataclass(frozen=True)
class Relationship:
    """A provider's relationship with a client: ``held_until`` is the last day of the
    reporting grace once every voucher it held has ended (``None`` while active)."""

    active: bool
    held_until: date | None


def _ended_on(change: Change, voucher: VoucherRow) -> date:
    if change.action == "discharged":
        return date.fromisoformat(change.detail["discharged_on"])
    if change.action == "closed" and change.detail.get("closed_on"):
        return date.fromisoformat(change.detail["closed_on"])
    if change.action == "expired":
        return voucher.valid_until
    return change.recorded_on


def ended_periods(voucher: VoucherRow, changes: Iterable[Change], provider_id: str) -> list[date]:
    """The days on which ``provider_id``'s holdings of one voucher ended, from its log."""
    holder: str | None = None
    ended: list[date] = []
    for change in sorted(changes, key=lambda c: c.version):
        if change.action == "provider_selected":
            chosen = change.detail.get("provider_id")
            if holder == provider_id and chosen != provider_id:
                ended.append(change.recorded_on)  # moved to another provider
            holder = chosen
        elif change.action in ENDING_ACTIONS:
            if holder == provider_id:
                ended.append(_ended_on(change, voucher))
            holder = None
    return ended


def decide(
    current: Iterable[VoucherRow],
    changes: Iterable[Change],
    provider_id: str,
    *,
    today: date,
    grace_days: int,
) -> Relationship | None:
    """The relationship of ``provider_id`` with the client whose vouchers these are.

    ``None`` when the provider never held one of them, or the grace after the last one
    ended is over (the caller answers 404).
    """
    by_voucher: dict[str, list[Change]] = {}
    for change in changes:
        by_voucher.setdefault(change.voucher_id, []).append(change)
    ends: list[date] = []
    for voucher in current:
        ends.extend(ended_periods(voucher, by_voucher.get(voucher.voucher_id, []), provider_id))
        if voucher.status in HELD_STATES and voucher.provider_id == provider_id:
            if today <= voucher.valid_until:
                return Relationship(active=True, held_until=None)
            ends.append(voucher.valid_until)  # lapsed; the scheduler has not run yet
    if not ends:
        return None
    # a discharge dated later than today is not active either (the client was
    # separated) but is within its grace until that date plus the grace
    held_until = max(ends) + timedelta(days=grace_days)
    if today > held_until:
        return None
    return Relationship(active=False, held_until=held_until)


async def relationship(
    uow: UnitOfWork, client_id: str, provider_id: str, *, today: date, grace_days: int
) -> Relationship | None:
    """:func:`decide` from the client's vouchers and their logged selections and endings."""
    rows = (
        await uow.session.execute(
            select(
                vouchers.c.voucher_id,
                vouchers.c.status,
                vouchers.c.provider_id,
                vouchers.c.valid_until,
            ).where(vouchers.c.client_id == client_id)
        )
    ).all()
    current = [
        VoucherRow(
            voucher_id=row.voucher_id,
            status=row.status,
            provider_id=row.provider_id,
            valid_until=row.valid_until,
        )
        for row in rows
    ]
    if not current:
        return None
    logged = await uow.session.execute(
        select(
            voucher_decisions.c.voucher_id,
            voucher_decisions.c.version,
            voucher_decisions.c.action,
            voucher_decisions.c.detail,
            voucher_decisions.c.decided_at,
        ).where(
            voucher_decisions.c.voucher_id.in_([v.voucher_id for v in current]),
            voucher_decisions.c.action.in_(TRACKED_ACTIONS),
        )
    )
    changes = [
        Change(
            voucher_id=row.voucher_id,
            version=row.version,
            action=row.action,
            detail=row.detail or {},
            recorded_on=row.decided_at.date(),
        )
        for row in logged
    ]
    return decide(current, changes, provider_id, today=today, grace_days=grace_days)
