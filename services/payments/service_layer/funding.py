"""Funding approved claim lines as they are adjudicated (SPEC §3.5).

Consumes ``atr.claims.adjudicated.v1`` in batches. Every line with an allowed amount
gets one funding decision (idempotent by claim id): the fiscal year its service date
falls in — and only that one — funds it whole under the cumulative ceiling
(:func:`~services.payments.domain.funding.fundable`), 90 % payable and 10 % held back,
or it stays unfunded with ``FUNDS_EXHAUSTED`` (no open fiscal year counts as no money).
The holdback joins its provider episode's (:mod:`~services.payments.service_layer.holdbacks`).
The years decided on are locked for the transaction, so obligations never exceed the
released allotments whatever number of payments processes run. Each decision goes out
as ``LineFunded`` on ``atr.payments.v1`` through the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.claims import ClaimAdjudicated
from contracts.payments import FundingReason, LineFunded, LineFundedData
from contracts.topics import PAYMENTS
from services.kit.bulk import insert_rows
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import fundings, quarter_totals
from services.payments.domain.funding import (
    QUARTERS,
    fiscal_year_of,
    fundable,
    quarter_of,
    split,
)
from services.payments.service_layer.fiscal_years import load_years
from services.payments.service_layer.holdbacks import hold

ZERO = Decimal("0.00")
Sums = dict[tuple[int, int], list[Decimal]]
"""(fiscal year, quarter) -> [obligated, payable, held back]."""


async def fund_lines(
    uow: UnitOfWork, events: Sequence[ClaimAdjudicated], today: date, now: datetime
) -> int:
    """Decide the funding of the events' approved lines, in order, and record the denied
    ones with their reasons (for the remittance statement); how many lines were new."""
    every = [event.data for event in events]
    known = set(
        await uow.session.scalars(
            select(fundings.c.claim_id).where(fundings.c.claim_id.in_([x.claim_id for x in every]))
        )
    )
    new = {line.claim_id: line for line in every if line.claim_id not in known}
    denied = [line for line in new.values() if line.allowed_amount <= 0]
    await insert_rows(
        uow.session,
        fundings,
        [
            {
                "claim_id": line.claim_id,
                "provider_id": line.provider_id,
                "client_id": line.client_id,
                "voucher_id": line.voucher_id,
                "service_code": line.service_code,
                "service_date": line.service_date,
                "fiscal_year": fiscal_year_of(line.service_date),
                "quarter": quarter_of(line.service_date),
                "amount": ZERO,
                "funded": False,
                "payable": ZERO,
                "holdback": ZERO,
                "reason": None,
                "decided_at": now,
                "denial_reasons": list(line.reasons),
                "run_id": None,
            }
            for line in denied
        ],
    )
    fresh = {claim_id: line for claim_id, line in new.items() if line.allowed_amount > 0}
    if not fresh:
        return len(denied)
    years = await load_years(
        uow, {fiscal_year_of(line.service_date) for line in fresh.values()}, lock=True
    )
    sums = await _sums(uow, set(years))
    rows = []
    decisions = []
    for line in fresh.values():
        fiscal_year, quarter = fiscal_year_of(line.service_date), quarter_of(line.service_date)
        year = years.get(fiscal_year)
        obligated = [sums[(fiscal_year, q)][0] for q in QUARTERS] if year else []
        funded = year is not None and fundable(year, obligated, quarter, line.allowed_amount, today)
        payable, holdback = split(line.allowed_amount) if funded else (ZERO, ZERO)
        if funded:
            for i, value in enumerate((line.allowed_amount, payable, holdback)):
                sums[(fiscal_year, quarter)][i] += value
        decision = LineFundedData(
            claim_id=line.claim_id,
            provider_id=line.provider_id,
            client_id=line.client_id,
            voucher_id=line.voucher_id,
            service_code=line.service_code,
            service_date=line.service_date,
            fiscal_year=fiscal_year,
            quarter=quarter,
            amount=line.allowed_amount,
            funded=funded,
            payable=payable,
            holdback=holdback,
            reason=None if funded else FundingReason.FUNDS_EXHAUSTED,
            decided_at=now,
        )
        decisions.append(decision)
        rows.append(
            decision.model_dump(exclude={"decided_at"})
            | {"decided_at": now, "denial_reasons": list(line.reasons), "run_id": None}
        )
        uow.emit(PAYMENTS, LineFunded(subject=line.provider_id, data=decision))
    await insert_rows(uow.session, fundings, rows)
    await _store_sums(uow, sums)
    await hold(uow, [d for d in decisions if d.funded], today)
    return len(rows) + len(denied)


async def _sums(uow: UnitOfWork, years: set[int]) -> Sums:
    sums: Sums = {(y, q): [ZERO, ZERO, ZERO] for y in years for q in QUARTERS}
    for row in await uow.session.execute(
        select(quarter_totals).where(quarter_totals.c.fiscal_year.in_(sorted(years)))
    ):
        sums[(row.fiscal_year, row.quarter)] = [row.obligated, row.payable, row.held_back]
    return sums


async def _store_sums(uow: UnitOfWork, sums: Sums) -> None:
    """Write the years' quarter sums back (the years are locked: no one else writes)."""
    if not sums:
        return
    years = sorted({year for year, _ in sums})
    await uow.session.execute(
        quarter_totals.delete().where(quarter_totals.c.fiscal_year.in_(years))
    )
    await insert_rows(
        uow.session,
        quarter_totals,
        [
            {
                "fiscal_year": year,
                "quarter": quarter,
                "obligated": values[0],
                "payable": values[1],
                "held_back": values[2],
            }
            for (year, quarter), values in sorted(sums.items())
        ],
    )
