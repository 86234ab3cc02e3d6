"""Where one claim line stands in payments (SPEC §4 ``GET /v1/claims/{id}``: "funding:
funded or not, payable, holdback, invoice and payment state")."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select

from contracts.api.payments import Funding
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import adjustments, fundings, holdbacks
from services.payments.service_layer.holdbacks import FORFEITED, RELEASED
from services.payments.service_layer.invoicing import invoice_id


async def lines_funding(uow: UnitOfWork, claim_ids: Iterable[str]) -> dict[str, Funding]:
    """:func:`line_funding` of each line payments decided, by claim id (one page of the
    claims list, ``GET /v1/claims``; lines not decided yet are left out)."""
    found = {}
    for claim_id in dict.fromkeys(claim_ids):
        funding = await line_funding(uow, claim_id)
        if funding is not None:
            found[claim_id] = funding
    return found


async def line_funding(uow: UnitOfWork, claim_id: str) -> Funding | None:
    """The line's funding decision, the run that took it (and the invoice that paid it),
    the state of its holdback and what corrections took back since; None before payments
    decided it.

    The holdback: a funded line's 10 % joined its episode's open holdback when it was
    funded; the first settlement of that episode and fiscal year on or after that day
    (release or forfeiture) settled it; until then it is open.
    """
    row = (
        await uow.session.execute(select(fundings).where(fundings.c.claim_id == claim_id))
    ).first()
    if row is None:
        return None
    holdback_state = "none"
    if row.funded and row.holdback > 0:
        settled = (
            await uow.session.execute(
                select(holdbacks.c.state)
                .where(
                    holdbacks.c.provider_id == row.provider_id,
                    holdbacks.c.voucher_id == row.voucher_id,
                    holdbacks.c.fiscal_year == row.fiscal_year,
                    holdbacks.c.state.in_((RELEASED, FORFEITED)),
                    holdbacks.c.settled_on >= row.decided_at.date(),
                )
                .order_by(holdbacks.c.settled_on)
                .limit(1)
            )
        ).first()
        holdback_state = settled.state if settled is not None else "open"
    taken = await uow.session.scalar(
        select(
            func.coalesce(
                func.sum(adjustments.c.payable_clawback + adjustments.c.released_clawback), 0
            )
        ).where(adjustments.c.claim_id == claim_id)
    )
    return Funding(
        funded=row.funded,
        fiscal_year=row.fiscal_year,
        quarter=row.quarter,
        amount=row.amount,
        payable=row.payable,
        holdback=row.holdback,
        reason=row.reason,
        invoice_state="invoiced" if row.run_id else "not_invoiced",
        run_id=row.run_id,
        invoice_id=invoice_id(row.run_id, row.provider_id) if row.run_id and row.funded else None,
        holdback_state=holdback_state,
        adjusted=Decimal(taken or 0).quantize(Decimal("0.01")),
    )
