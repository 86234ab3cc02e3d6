"""Administrative expenses and the state's proposed per-person costs in the payments
database (SQLite and PostgreSQL). Seed 003 App. B lists "Services Included as
Administrative Expenses"; §I-2.3 asks the State to keep them "preferably no more than
15% of total expenditures"; App. G: for recovery support "applicants are expected to
provide costs"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear, RecordAdministrativeCost
from contracts.payments import AdministrativeCostRecorded, FiscalYearOpened, PaymentEvent
from services.kit.unit_of_work import UnitOfWork
from services.payments.service_layer.administrative_costs import (
    ReferenceReusedError,
    record_administrative_cost,
)
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.incentives import FiscalYearNotOpenError
from tests.payments.test_fund_lines import TODAY, database  # noqa: F401  (fixture)

EVENTS: TypeAdapter[PaymentEvent] = TypeAdapter(PaymentEvent)


def cost(
    reference: str = "AP-1", amount: str = "1200.00", quarter: int = 2
) -> RecordAdministrativeCost:
    return RecordAdministrativeCost(
        reference=reference, quarter=quarter, category="information_systems", amount=Decimal(amount)
    )


async def _published(db, tables) -> list[PaymentEvent]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        rows = await session.scalars(select(tables.outbox.c.payload).order_by(tables.outbox.c.seq))
        return [EVENTS.validate_json(payload) for payload in rows]


async def test_an_expense_is_recorded_once_by_its_reference(database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await open_year(
            uow, CreateFiscalYear(fiscal_year=2027, total=Decimal("4000.00")), None, TODAY
        )
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        first, new = await record_administrative_cost(uow, 2027, cost(), "admin-1", TODAY)
        await uow.commit()
    assert new
    assert (first.amount, first.quarter, first.recorded_on) == (
        Decimal("1200.00"),
        2,
        TODAY,
    )
    async with UnitOfWork(db, tables) as uow:
        again, new = await record_administrative_cost(uow, 2027, cost(), "admin-1", TODAY)
        await uow.commit()
    assert not new
    assert again == first
    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(ReferenceReusedError):
            await record_administrative_cost(uow, 2027, cost(amount="1300.00"), None, TODAY)
        with pytest.raises(FiscalYearNotOpenError):
            await record_administrative_cost(uow, 2031, cost("AP-9"), None, TODAY)
    recorded = [
        e for e in await _published(db, tables) if isinstance(e, AdministrativeCostRecorded)
    ]
    assert [(e.data.reference, e.data.amount, e.subject) for e in recorded] == [
        ("AP-1", Decimal("1200.00"), "FY2027")
    ]
    # an expense is not voucher spending: the quarter's allotment is untouched
    async with UnitOfWork(db, tables) as uow:
        funds = await funds_of(uow, 2027, today=TODAY)
    assert funds is not None
    assert (funds.obligated, funds.left) == (Decimal("0.00"), Decimal("4000.00"))


async def test_the_proposed_costs_travel_with_the_opened_year(database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    db, tables = database
    command = CreateFiscalYear.model_validate(
        {
            "fiscal_year": 2027,
            "total": "4000.00",
            "proposed_costs": {
                "recovery_support": {"low": "300.00", "high": "2500.00", "justification": "app."}
            },
        }
    )
    async with UnitOfWork(db, tables) as uow:
        await open_year(uow, command, None, date(2026, 7, 1))
        await uow.commit()
    [opened] = await _published(db, tables)
    assert isinstance(opened, FiscalYearOpened)
    [proposed] = opened.data.proposed_costs
    assert (proposed.modality, proposed.low, proposed.high) == (
        "recovery_support",
        Decimal("300.00"),
        Decimal("2500.00"),
    )


def test_bad_proposals_and_expenses_name_the_field() -> None:
    with pytest.raises(ValidationError, match="low is above high"):
        CreateFiscalYear.model_validate(
            {
                "fiscal_year": 2027,
                "total": "1.00",
                "proposed_costs": {"residential": {"low": "9", "high": "1", "justification": "x"}},
            }
        )
    with pytest.raises(ValidationError, match="proposed_costs"):
        CreateFiscalYear.model_validate(
            {
                "fiscal_year": 2027,
                "total": "1.00",
                "proposed_costs": {"yoga": {"low": "1", "high": "2", "justification": "x"}},
            }
        )
    with pytest.raises(ValidationError, match="category"):
        RecordAdministrativeCost.model_validate(
            {"reference": "A", "quarter": 1, "category": "lunch", "amount": "1.00"}
        )
    with pytest.raises(ValidationError, match="amount"):
        RecordAdministrativeCost.model_validate(
            {"reference": "A", "quarter": 1, "category": "marketing", "amount": "0"}
        )
