"""The 10 % holdback of each funded line, per provider episode (SPEC §3.5; seed 003
App. E §2 incentives, §II footnote 2).

An episode is a provider's time with a client on one voucher. Its holdback is released
to the provider once the provider has reported the discharge (``atr.voucher.discharged``)
and a complete GPRA discharge interview (``atr.client.gpra_recorded``, kind
``discharge``, ``complete``, recorded by that provider, conducted on or after the
episode's first service). Without both within 60 days of the last service it is
forfeited to the incentive pool of the fiscal year the lines were funded from. Money
held back later on a settled episode starts a new open holdback, settled by the same
rules. Each settlement is an event on ``atr.payments.v1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from contracts.clients import GpraRecorded
from contracts.ids import uuid7
from contracts.payments import (
    HoldbackForfeited,
    HoldbackReleased,
    HoldbackSettledData,
    LineFundedData,
)
from contracts.topics import PAYMENTS
from contracts.vouchers import VoucherDischarged
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import (
    discharges,
    gpra_discharges,
    holdbacks,
    incentive_distributions,
    releases,
)

FORFEIT_AFTER = timedelta(days=60)
"""SPEC §3.5: forfeited when the discharge is not reported within 60 days of the last
service."""

OPEN, RELEASED, FORFEITED = "open", "released", "forfeited"
Episode = tuple[str, str]
"""(provider id, voucher id)."""


async def hold(uow: UnitOfWork, funded: Iterable[LineFundedData], today: date) -> None:
    """Add the funded lines' holdbacks to their episodes' open holdbacks (summed per
    episode and fiscal year first: one read and one write each, not one per line), then
    release those whose discharge and GPRA interview are already in."""
    added: dict[tuple[str, str, int], tuple[str, Decimal, date, date]] = {}
    for line in funded:
        if line.holdback <= 0:
            continue
        key = (line.provider_id, line.voucher_id, line.fiscal_year)
        _, amount, first, last = added.get(
            key, (line.client_id, Decimal("0.00"), line.service_date, line.service_date)
        )
        added[key] = (
            line.client_id,
            amount + line.holdback,
            min(first, line.service_date),
            max(last, line.service_date),
        )
    for (provider_id, voucher_id, fiscal_year), (client_id, amount, first, last) in sorted(
        added.items()
    ):
        row = (
            await uow.session.execute(
                _row(provider_id, voucher_id, fiscal_year, OPEN).with_for_update()
            )
        ).first()
        if row is None:
            await uow.session.execute(
                holdbacks.insert().values(
                    provider_id=provider_id,
                    voucher_id=voucher_id,
                    fiscal_year=fiscal_year,
                    client_id=client_id,
                    amount=amount,
                    first_service=first,
                    last_service=last,
                    state=OPEN,
                )
            )
        else:
            await uow.session.execute(
                holdbacks.update()
                .where(_is(provider_id, voucher_id, fiscal_year, OPEN))
                .values(
                    amount=row.amount + amount,
                    first_service=min(row.first_service, first),
                    last_service=max(row.last_service, last),
                )
            )
    for episode in sorted({(provider_id, voucher_id) for provider_id, voucher_id, _ in added}):
        await release_if_due(uow, episode, today)


async def on_discharge(uow: UnitOfWork, event: VoucherDischarged, today: date) -> None:
    """Record the provider's discharge of the episode and release its holdback if the
    GPRA discharge interview is in."""
    data = event.data
    episode = (data.provider_id, data.voucher.voucher_id)
    await uow.session.execute(
        discharges.delete().where(
            discharges.c.provider_id == episode[0], discharges.c.voucher_id == episode[1]
        )
    )
    await uow.session.execute(
        discharges.insert().values(
            provider_id=episode[0],
            voucher_id=episode[1],
            client_id=data.voucher.client_id,
            discharged_on=data.discharged_on,
        )
    )
    await release_if_due(uow, episode, today)


async def on_gpra(uow: UnitOfWork, event: GpraRecorded, today: date) -> None:
    """Record a complete GPRA discharge interview by a provider and release the holdbacks
    of that provider's discharged episodes with the client."""
    data = event.data
    if data.kind != "discharge" or not data.complete or data.provider_id is None:
        return
    current = await uow.session.scalar(
        select(gpra_discharges.c.conducted_on).where(
            gpra_discharges.c.client_id == data.client_id,
            gpra_discharges.c.provider_id == data.provider_id,
        )
    )
    if current is None:
        await uow.session.execute(
            gpra_discharges.insert().values(
                client_id=data.client_id,
                provider_id=data.provider_id,
                conducted_on=data.conducted_on,
            )
        )
    elif data.conducted_on > current:
        await uow.session.execute(
            gpra_discharges.update()
            .where(
                gpra_discharges.c.client_id == data.client_id,
                gpra_discharges.c.provider_id == data.provider_id,
            )
            .values(conducted_on=data.conducted_on)
        )
    episodes = await uow.session.execute(
        select(holdbacks.c.provider_id, holdbacks.c.voucher_id)
        .where(
            holdbacks.c.client_id == data.client_id,
            holdbacks.c.provider_id == data.provider_id,
            holdbacks.c.state == OPEN,
        )
        .distinct()
    )
    for provider_id, voucher_id in sorted(episodes.all()):
        await release_if_due(uow, (provider_id, voucher_id), today)


async def release_if_due(uow: UnitOfWork, episode: Episode, today: date) -> int:
    """Release the episode's open holdbacks when its discharge and a complete GPRA
    discharge interview (on or after its first service) are both reported; how many
    fiscal years' holdbacks were released."""
    rows = (await uow.session.execute(_open(episode).with_for_update())).all()
    if not rows or not await _reported(uow, episode, min(r.first_service for r in rows)):
        return 0
    for row in rows:
        await _settle(uow, row, RELEASED, today)
    return len(rows)


async def forfeit_overdue(uow: UnitOfWork, today: date) -> int:
    """Forfeit the open holdbacks whose last service is more than 60 days ago and whose
    episode has not been reported discharged with the GPRA interview (those are
    released instead); how many were settled."""
    overdue = (
        await uow.session.execute(
            select(holdbacks)
            .where(holdbacks.c.state == OPEN, holdbacks.c.last_service < today - FORFEIT_AFTER)
            .order_by(holdbacks.c.provider_id, holdbacks.c.voucher_id, holdbacks.c.fiscal_year)
            .with_for_update()
        )
    ).all()
    settled = 0
    for row in overdue:
        episode = (row.provider_id, row.voucher_id)
        if await release_if_due(uow, episode, today):
            settled += 1
            continue
        await _settle(uow, row, FORFEITED, today)
        settled += 1
    return settled


TAKE_BACK_ORDER = (OPEN, FORFEITED, RELEASED)
"""Where a corrected line's holdback is taken back from: money not paid yet first
(still held, then the incentive pool while it is not distributed), a released holdback
last (it is taken back on the provider's next invoice). A pool already distributed
was paid to other providers for their completions: what sits in it stays there."""


async def take_back(
    uow: UnitOfWork, episode: Episode, fiscal_year: int, amount: Decimal
) -> dict[str, Decimal]:
    """Reduce the episode's holdbacks of ``fiscal_year`` by up to ``amount`` (a
    corrected line held back that much less), in :data:`TAKE_BACK_ORDER`; how much came
    out of each state. Less than ``amount`` only when the rest was forfeited to a pool
    that is distributed already."""
    rows = {
        row.state: row
        for row in (
            await uow.session.execute(
                select(holdbacks)
                .where(
                    holdbacks.c.provider_id == episode[0],
                    holdbacks.c.voucher_id == episode[1],
                    holdbacks.c.fiscal_year == fiscal_year,
                )
                .order_by(holdbacks.c.state)
                .with_for_update()
            )
        ).all()
    }
    if FORFEITED in rows and await uow.session.scalar(
        select(incentive_distributions.c.fiscal_year).where(
            incentive_distributions.c.fiscal_year == fiscal_year
        )
    ):
        del rows[FORFEITED]
    taken: dict[str, Decimal] = {}
    left = amount
    for state in TAKE_BACK_ORDER:
        row = rows.get(state)
        if row is None or left <= 0 or row.amount <= 0:
            continue
        part = min(left, row.amount)
        where = _is(episode[0], episode[1], fiscal_year, state)
        if state == OPEN and part == row.amount:  # nothing left to hold: no open holdback
            await uow.session.execute(holdbacks.delete().where(where))
        else:
            await uow.session.execute(
                holdbacks.update().where(where).values(amount=row.amount - part)
            )
        taken[state] = part
        left -= part
    return taken


async def settled_in(uow: UnitOfWork, fiscal_year: int) -> dict[str, Decimal]:
    """The fiscal year's holdbacks by state (``open``, ``released``, ``forfeited``: the
    incentive pool)."""
    rows = await uow.session.execute(
        select(holdbacks.c.state, func.sum(holdbacks.c.amount))
        .where(holdbacks.c.fiscal_year == fiscal_year)
        .group_by(holdbacks.c.state)
    )
    found = dict.fromkeys((OPEN, RELEASED, FORFEITED), Decimal("0.00"))
    found.update({state: Decimal(total) for state, total in rows})
    return found


async def _reported(uow: UnitOfWork, episode: Episode, first_service: date) -> bool:
    discharge = (
        await uow.session.execute(
            select(discharges).where(
                discharges.c.provider_id == episode[0], discharges.c.voucher_id == episode[1]
            )
        )
    ).first()
    if discharge is None:
        return False
    interview = await uow.session.scalar(
        select(gpra_discharges.c.conducted_on).where(
            gpra_discharges.c.client_id == discharge.client_id,
            gpra_discharges.c.provider_id == episode[0],
        )
    )
    return interview is not None and interview >= first_service


async def _settle(uow: UnitOfWork, row: object, state: str, today: date) -> None:
    """Move an open holdback's amount to its ``state`` row and publish the settlement."""
    provider_id, voucher_id, fiscal_year = (
        row.provider_id,  # type: ignore[attr-defined]
        row.voucher_id,  # type: ignore[attr-defined]
        row.fiscal_year,  # type: ignore[attr-defined]
    )
    amount: Decimal = row.amount  # type: ignore[attr-defined]
    await uow.session.execute(
        holdbacks.delete().where(_is(provider_id, voucher_id, fiscal_year, OPEN))
    )
    settled = (
        await uow.session.execute(
            _row(provider_id, voucher_id, fiscal_year, state).with_for_update()
        )
    ).first()
    if settled is None:
        await uow.session.execute(
            holdbacks.insert().values(
                provider_id=provider_id,
                voucher_id=voucher_id,
                fiscal_year=fiscal_year,
                client_id=row.client_id,  # type: ignore[attr-defined]
                amount=amount,
                first_service=row.first_service,  # type: ignore[attr-defined]
                last_service=row.last_service,  # type: ignore[attr-defined]
                state=state,
                settled_on=today,
            )
        )
    else:
        await uow.session.execute(
            holdbacks.update()
            .where(_is(provider_id, voucher_id, fiscal_year, state))
            .values(amount=settled.amount + amount, settled_on=today)
        )
    if state == RELEASED:
        await uow.session.execute(
            releases.insert().values(
                release_id=str(uuid7()),
                provider_id=provider_id,
                voucher_id=voucher_id,
                client_id=row.client_id,  # type: ignore[attr-defined]
                fiscal_year=fiscal_year,
                amount=amount,
                settled_on=today,
                run_id=None,
            )
        )
    data = HoldbackSettledData(
        provider_id=provider_id,
        voucher_id=voucher_id,
        client_id=row.client_id,  # type: ignore[attr-defined]
        fiscal_year=fiscal_year,
        amount=amount,
        settled_on=today,
    )
    event = HoldbackReleased if state == RELEASED else HoldbackForfeited
    uow.emit(PAYMENTS, event(subject=provider_id, data=data))


def _is(provider_id: str, voucher_id: str, fiscal_year: int, state: str) -> ColumnElement[bool]:
    return and_(
        holdbacks.c.provider_id == provider_id,
        holdbacks.c.voucher_id == voucher_id,
        holdbacks.c.fiscal_year == fiscal_year,
        holdbacks.c.state == state,
    )


def _row(provider_id: str, voucher_id: str, fiscal_year: int, state: str) -> Select[Any]:
    return select(holdbacks).where(_is(provider_id, voucher_id, fiscal_year, state))


def _open(episode: Episode) -> Select[Any]:
    return (
        select(holdbacks)
        .where(
            holdbacks.c.provider_id == episode[0],
            holdbacks.c.voucher_id == episode[1],
            holdbacks.c.state == OPEN,
        )
        .order_by(holdbacks.c.fiscal_year)
    )
