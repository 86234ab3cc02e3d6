"""Reads of the reporting read models for the reports (SPEC §3.6): plain rows, the
report logic lives in the service layer and the domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, case, func, select

from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import (
    administrative_costs,
    allotments,
    choice_exceptions,
    claim_lines,
    holdback_settlements,
    incentive_awards,
    invoices,
    line_fundings,
    proposed_costs,
    providers_designated,
    self_referrals,
)


async def lines_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any, Any, Any, Any]]:
    """Every adjudicated line with a service date in the range, as it now stands."""
    result = await uow.session.execute(
        select(claim_lines)
        .where(claim_lines.c.service_date.between(starts_on, ends_on))
        .order_by(claim_lines.c.claim_id)
    )
    return result.all()


async def approved_sessions(
    uow: UnitOfWork, client_ids: Sequence[str], starts_on: date, ends_on: date
) -> Sequence[Row[Any, Any, Any]]:
    """(client, service, date) of the clients' lines with allowed units (not voided) and a
    service date in the range: the sessions/days the program paid for."""
    if not client_ids:
        return []
    result = await uow.session.execute(
        select(claim_lines.c.client_id, claim_lines.c.service_code, claim_lines.c.service_date)
        .where(
            claim_lines.c.client_id.in_(client_ids),
            claim_lines.c.service_date.between(starts_on, ends_on),
            claim_lines.c.allowed_units > 0,
            claim_lines.c.voided.is_(False),
        )
        .order_by(claim_lines.c.claim_id)
    )
    return result.all()


async def proposed_costs_of(uow: UnitOfWork, fiscal_year: int) -> Sequence[Row[Any, Any, Any]]:
    """The state's per-person cost ranges for the fiscal year, one row per modality."""
    result = await uow.session.execute(
        select(proposed_costs).where(proposed_costs.c.fiscal_year == fiscal_year)
    )
    return result.all()


async def administrative_costs_in(
    uow: UnitOfWork, fiscal_year: int, quarters: Sequence[int]
) -> Decimal:
    """The administrative expenses recorded against the fiscal year's ``quarters``."""
    total = await uow.session.scalar(
        select(func.coalesce(func.sum(administrative_costs.c.amount), 0)).where(
            administrative_costs.c.fiscal_year == fiscal_year,
            administrative_costs.c.quarter.in_(quarters),
        )
    )
    return Decimal(total or 0)


async def fundings_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any, Any, Any, Any]]:
    """Every funding decision on lines with a service date in the range."""
    result = await uow.session.execute(
        select(line_fundings)
        .where(line_fundings.c.service_date.between(starts_on, ends_on))
        .order_by(line_fundings.c.claim_id)
    )
    return result.all()


async def quarter_funding(uow: UnitOfWork, fiscal_year: int) -> Sequence[Row[Any, Any, Any, Any]]:
    """Per quarter of the year: the allotment, what stays funded, the unfunded lines."""
    funded = (
        select(
            line_fundings.c.quarter,
            func.coalesce(func.sum(line_fundings.c.amount), 0).label("funded"),
            func.sum(case((line_fundings.c.funded.is_(False), 1), else_=0)).label("unfunded"),
        )
        .where(line_fundings.c.fiscal_year == fiscal_year)
        .group_by(line_fundings.c.quarter)
        .subquery()
    )
    result = await uow.session.execute(
        select(
            allotments.c.quarter,
            allotments.c.amount.label("allotment"),
            func.coalesce(funded.c.funded, 0).label("funded"),
            func.coalesce(funded.c.unfunded, 0).label("unfunded"),
        )
        .select_from(allotments.outerjoin(funded, and_(funded.c.quarter == allotments.c.quarter)))
        .where(allotments.c.fiscal_year == fiscal_year)
        .order_by(allotments.c.quarter)
    )
    return result.all()


async def settlements_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any, Any, Any, Any]]:
    """Holdbacks released or forfeited on a day in the range."""
    result = await uow.session.execute(
        select(holdback_settlements).where(
            holdback_settlements.c.settled_on.between(starts_on, ends_on)
        )
    )
    return result.all()


async def forfeitures_of_year(
    uow: UnitOfWork, fiscal_year: int, through: date
) -> Sequence[Row[Any, Any, Any, Any]]:
    """The year's forfeited holdbacks settled up to ``through``."""
    result = await uow.session.execute(
        select(holdback_settlements).where(
            holdback_settlements.c.kind == "forfeited",
            holdback_settlements.c.fiscal_year == fiscal_year,
            holdback_settlements.c.settled_on <= through,
        )
    )
    return result.all()


async def awards_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any, Any, Any, Any]]:
    """Incentive awards made on a day in the range."""
    result = await uow.session.execute(
        select(incentive_awards).where(incentive_awards.c.awarded_on.between(starts_on, ends_on))
    )
    return result.all()


async def designated_providers(uow: UnitOfWork) -> list[str]:
    """Every provider designated so far."""
    return list(await uow.session.scalars(select(providers_designated.c.provider_id)))


async def invoices_of_runs(uow: UnitOfWork, runs: list[str]) -> Sequence[Row[Any, Any, Any, Any]]:
    """The invoices of the monthly runs named (``2026-11``, ...)."""
    result = await uow.session.execute(select(invoices).where(invoices.c.run_id.in_(runs)))
    return result.all()


async def choice_exceptions_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any]]:
    """The choice exceptions recorded in the range, oldest first (SPEC §3.2)."""
    result = await uow.session.execute(
        select(choice_exceptions)
        .where(choice_exceptions.c.recorded_on.between(starts_on, ends_on))
        .order_by(choice_exceptions.c.recorded_on, choice_exceptions.c.exception_id)
    )
    return result.all()


async def self_referrals_between(
    uow: UnitOfWork, starts_on: date, ends_on: date
) -> Sequence[Row[Any]]:
    """The self-referrals made in the range, oldest first (SPEC §3.2)."""
    result = await uow.session.execute(
        select(self_referrals)
        .where(self_referrals.c.selected_on.between(starts_on, ends_on))
        .order_by(self_referrals.c.selected_on, self_referrals.c.provider_id)
    )
    return result.all()
