"""Opening fiscal years and reading what they hold (SPEC §3.5, §4 ``/v1/fiscal-years``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear, FiscalYearFunds, QuarterFunds
from contracts.payments import (
    FiscalYearOpened,
    FiscalYearOpenedData,
    ProposedCostRange,
    fiscal_year_name,
)
from contracts.topics import PAYMENTS
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import fiscal_years, incentive_distributions, quarter_totals
from services.payments.domain.funding import QUARTERS, FiscalYear, equal_allotments
from services.payments.service_layer.holdbacks import settled_in

ZERO = Decimal("0.00")


class FiscalYearExistsError(Exception):
    """The fiscal year was opened before (its allotments are not changed here)."""


def _year(row: object) -> FiscalYear:
    return FiscalYear(
        row.fiscal_year,  # type: ignore[attr-defined]
        (row.q1, row.q2, row.q3, row.q4),  # type: ignore[attr-defined]
    )


async def load_years(uow: UnitOfWork, years: set[int], *, lock: bool) -> dict[int, FiscalYear]:
    """The fiscal years among ``years`` that are open, locked for this transaction when
    ``lock`` (funding decides one year at a time)."""
    query = select(fiscal_years).where(fiscal_years.c.fiscal_year.in_(sorted(years)))
    if lock:
        query = query.order_by(fiscal_years.c.fiscal_year).with_for_update()
    return {row.fiscal_year: _year(row) for row in await uow.session.execute(query)}


async def open_year(
    uow: UnitOfWork, command: CreateFiscalYear, opened_by: str | None, today: date
) -> FiscalYearFunds:
    """Record the year's four allotments (equal quarters of ``total`` unless given) and
    publish ``FiscalYearOpened``; refused when the year exists."""
    if await load_years(uow, {command.fiscal_year}, lock=True):
        raise FiscalYearExistsError(fiscal_year_name(command.fiscal_year))
    allotments = (
        equal_allotments(command.total)
        if command.total is not None
        else tuple(command.allotments or ())
    )
    year = FiscalYear(command.fiscal_year, allotments)  # type: ignore[arg-type]
    proposed = [
        ProposedCostRange(modality=modality, **costs.model_dump())
        for modality, costs in sorted(command.proposed_costs.items())
    ]
    await uow.session.execute(
        fiscal_years.insert().values(
            fiscal_year=year.year,
            q1=allotments[0],
            q2=allotments[1],
            q3=allotments[2],
            q4=allotments[3],
            opened_by=opened_by,
            opened_at=datetime.now(UTC),
            proposed_costs={c.modality: c.model_dump(mode="json") for c in proposed},
        )
    )
    uow.emit(
        PAYMENTS,
        FiscalYearOpened(
            subject=fiscal_year_name(year.year),
            data=FiscalYearOpenedData(
                fiscal_year=year.year,
                starts_on=year.starts_on,
                ends_on=year.ends_on,
                allotments=list(allotments),
                opened_by=opened_by,
                proposed_costs=proposed,
            ),
        ),
    )
    funds = await funds_of(uow, year.year, today=today)
    assert funds is not None  # just inserted
    return funds


async def funds_of(uow: UnitOfWork, fiscal_year: int, *, today: date) -> FiscalYearFunds | None:
    """The year's allotments and, per quarter and in all, what is obligated, payable,
    held back and left; None when the year was never opened."""
    years = await load_years(uow, {fiscal_year}, lock=False)
    if fiscal_year not in years:
        return None
    year = years[fiscal_year]
    sums = {
        row.quarter: row
        for row in await uow.session.execute(
            select(quarter_totals).where(quarter_totals.c.fiscal_year == fiscal_year)
        )
    }
    quarters = []
    obligated_through = ZERO
    for quarter in QUARTERS:
        row = sums.get(quarter)
        obligated = row.obligated if row is not None else ZERO
        obligated_through += obligated
        quarters.append(
            QuarterFunds(
                quarter=quarter,
                released_on=year.released_on(quarter),
                released=year.released_on(quarter) <= today,
                allotment=year.allotments[quarter - 1],
                obligated=obligated,
                payable=row.payable if row is not None else ZERO,
                held_back=row.held_back if row is not None else ZERO,
                left=year.released_through(quarter) - obligated_through,
            )
        )
    total = year.released_through(4)
    settled = await settled_in(uow, fiscal_year)
    return FiscalYearFunds(
        fiscal_year=fiscal_year,
        starts_on=year.starts_on,
        ends_on=year.ends_on,
        total=total,
        obligated=obligated_through,
        payable=sum((q.payable for q in quarters), ZERO),
        held_back=sum((q.held_back for q in quarters), ZERO),
        left=total - obligated_through,
        released=settled["released"],
        forfeited=settled["forfeited"],
        incentives_distributed=await uow.session.scalar(
            select(incentive_distributions.c.distributed).where(
                incentive_distributions.c.fiscal_year == fiscal_year
            )
        ),
        quarters=quarters,
    )
