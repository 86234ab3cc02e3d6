"""Administrative expenses of the program (seed 003 Appendix B, "Services Included as
Administrative Expenses"; §I-2.3: keep administration "preferably no more than 15% of
total expenditures"). The administrative agency records each expense against a fiscal
quarter; reporting computes the share from the events. They are not funded from the
quarter's allotment for services: the allotments cap voucher spending (SPEC §3.5)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from contracts.api.payments import AdministrativeCost, RecordAdministrativeCost
from contracts.payments import (
    AdministrativeCostRecorded,
    AdministrativeCostRecordedData,
    fiscal_year_name,
)
from contracts.topics import PAYMENTS
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import administrative_costs
from services.payments.service_layer.fiscal_years import load_years
from services.payments.service_layer.incentives import FiscalYearNotOpenError


class ReferenceReusedError(Exception):
    """The reference was recorded before with different figures (HTTP 409)."""


def _answer(row: object) -> AdministrativeCost:
    return AdministrativeCost.model_validate(row, from_attributes=True)


async def record_administrative_cost(
    uow: UnitOfWork,
    fiscal_year: int,
    command: RecordAdministrativeCost,
    recorded_by: str | None,
    today: date,
) -> tuple[AdministrativeCost, bool]:
    """Record one expense and publish ``AdministrativeCostRecorded``; the answer and
    whether it is new. The same reference with the same figures is the same expense
    (nothing recorded again); with other figures it is refused."""
    if not await load_years(uow, {fiscal_year}, lock=False):
        raise FiscalYearNotOpenError(f"{fiscal_year_name(fiscal_year)} is not open")
    existing = (
        await uow.session.execute(
            select(administrative_costs).where(
                administrative_costs.c.reference == command.reference
            )
        )
    ).one_or_none()
    if existing is not None:
        same = (existing.fiscal_year, existing.quarter, existing.category, existing.amount) == (
            fiscal_year,
            command.quarter,
            command.category,
            command.amount,
        )
        if not same:
            raise ReferenceReusedError(
                f"reference {command.reference} was recorded with other figures"
            )
        return _answer(existing), False
    values = {
        "reference": command.reference,
        "fiscal_year": fiscal_year,
        "quarter": command.quarter,
        "category": command.category,
        "amount": command.amount,
        "recorded_on": today,
        "recorded_by": recorded_by,
    }
    await uow.session.execute(administrative_costs.insert().values(**values))
    uow.emit(
        PAYMENTS,
        AdministrativeCostRecorded(
            subject=fiscal_year_name(fiscal_year),
            data=AdministrativeCostRecordedData(
                reference=command.reference,
                fiscal_year=fiscal_year,
                quarter=command.quarter,
                category=command.category,
                amount=command.amount,
                recorded_on=today,
            ),
        ),
    )
    return AdministrativeCost(
        reference=command.reference,
        fiscal_year=fiscal_year,
        quarter=command.quarter,
        category=command.category,
        amount=command.amount,
        recorded_on=today,
    ), True
