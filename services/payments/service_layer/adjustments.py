"""Reversing the funding of corrected lines (SPEC §3.5: money is never silently changed
after the fact; seed 003 App. E §5 invoicing).

A ``ClaimCorrected`` event (a line reduced or voided by its provider) changes the line's
funding by the difference, once per correction (``adjustments`` is keyed by its id):

- an unfunded or denied line only records its new amount: no money moved;
- a funded line is split again (90 / 10 of the new amount) and its quarter gets the
  difference back (obligations fall, so the money can fund other lines under the
  cumulative ceiling); the fiscal year's row is locked as funding locks it;
- what was not paid yet simply shrinks: the line's payable when no run took it, the
  episode's open holdback, the undistributed incentive pool;
- what was paid is taken back on the provider's next invoice: the payable of a line an
  earlier run paid, the part of a released holdback
  (:func:`~services.payments.service_layer.holdbacks.take_back`);
- what was forfeited to an incentive pool already distributed stays there (other
  providers were paid it for their completions): the line keeps that holdback, so its
  funded amount stays payable + holdback.

Each reversal goes out as ``FundingAdjusted`` on ``atr.payments.v1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.claims import ClaimCorrected
from contracts.payments import FundingAdjusted, FundingAdjustedData
from contracts.topics import PAYMENTS
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import adjustments, fundings, quarter_totals
from services.payments.domain.funding import split
from services.payments.service_layer.fiscal_years import load_years
from services.payments.service_layer.holdbacks import RELEASED, take_back

ZERO = Decimal("0.00")


class UnknownLineError(LookupError):
    """A correction of a line payments never saw decided (its decision comes first on
    the topic, so this is a message out of place: it is dead-lettered)."""


async def apply_corrections(
    uow: UnitOfWork, events: Sequence[ClaimCorrected], today: date, now: datetime
) -> int:
    """Reverse the funding of each corrected line, in order; how many were new."""
    done = set(
        await uow.session.scalars(
            select(adjustments.c.correction_id).where(
                adjustments.c.correction_id.in_([e.data.correction_id for e in events])
            )
        )
    )
    new = 0
    for event in events:
        if event.data.correction_id in done:
            continue
        done.add(event.data.correction_id)
        await _reverse(uow, event, today, now)
        new += 1
    return new


async def _reverse(uow: UnitOfWork, event: ClaimCorrected, today: date, now: datetime) -> None:
    data = event.data
    line = (
        await uow.session.execute(
            select(fundings).where(fundings.c.claim_id == data.claim_id).with_for_update()
        )
    ).first()
    if line is None:
        raise UnknownLineError(f"claim {data.claim_id} has no funding decision")
    amount = data.allowed_amount
    payable = holdback = ZERO
    deltas = (ZERO, ZERO, ZERO)
    payable_clawback = released_clawback = ZERO
    if line.funded:
        await load_years(uow, {line.fiscal_year}, lock=True)
        payable, holdback = split(amount)
        taken: dict[str, Decimal] = {}
        if holdback < line.holdback:
            taken = await take_back(
                uow, (line.provider_id, line.voucher_id), line.fiscal_year, line.holdback - holdback
            )
            released_clawback = -taken.get(RELEASED, ZERO)
        # what a distributed incentive pool holds of the line's holdback stays in it
        holdback = line.holdback - sum(taken.values(), ZERO)
        amount = payable + holdback
        deltas = (amount - line.amount, payable - line.payable, holdback - line.holdback)
        if line.run_id is not None:
            payable_clawback = deltas[1]
        await uow.session.execute(
            quarter_totals.update()
            .where(
                quarter_totals.c.fiscal_year == line.fiscal_year,
                quarter_totals.c.quarter == line.quarter,
            )
            .values(
                obligated=quarter_totals.c.obligated + deltas[0],
                payable=quarter_totals.c.payable + deltas[1],
                held_back=quarter_totals.c.held_back + deltas[2],
            )
        )
    await uow.session.execute(
        fundings.update()
        .where(fundings.c.claim_id == data.claim_id)
        .values(amount=amount, payable=payable, holdback=holdback)
    )
    await uow.session.execute(
        adjustments.insert().values(
            correction_id=data.correction_id,
            claim_id=data.claim_id,
            provider_id=line.provider_id,
            client_id=line.client_id,
            voucher_id=line.voucher_id,
            service_code=line.service_code,
            service_date=line.service_date,
            fiscal_year=line.fiscal_year,
            quarter=line.quarter,
            amount_delta=deltas[0],
            payable_delta=deltas[1],
            holdback_delta=deltas[2],
            payable_clawback=payable_clawback,
            released_clawback=released_clawback,
            corrected_on=today,
            run_id=None,
        )
    )
    uow.emit(
        PAYMENTS,
        FundingAdjusted(
            subject=line.provider_id,
            data=FundingAdjustedData(
                claim_id=data.claim_id,
                correction_id=data.correction_id,
                provider_id=line.provider_id,
                client_id=line.client_id,
                voucher_id=line.voucher_id,
                service_date=line.service_date,
                fiscal_year=line.fiscal_year,
                quarter=line.quarter,
                amount=amount if line.funded else ZERO,
                payable=payable,
                holdback=holdback,
                amount_delta=deltas[0],
                payable_delta=deltas[1],
                holdback_delta=deltas[2],
                next_invoice=payable_clawback + released_clawback,
                adjusted_at=now,
            ),
        ),
    )
