"""Funding adjudicated lines in the payments database (SQLite and PostgreSQL): once per
claim, in order, under the cumulative ceiling, sums kept per quarter, one ``LineFunded``
per decision; a year opened twice is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.api.payments import CreateFiscalYear
from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedData
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import fundings, metadata
from services.payments.service_layer.fiscal_years import (
    FiscalYearExistsError,
    funds_of,
    open_year,
)
from services.payments.service_layer.funding import fund_lines

TODAY = date(2026, 11, 30)  # FY2027, quarter 2
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def _adjudicated(claim_id: str, day: date, amount: str, client: str = "C1") -> ClaimAdjudicated:
    value = Decimal(amount)
    return ClaimAdjudicated(
        subject=client,
        data=ClaimAdjudicatedData(
            claim_id=claim_id,
            claim_ref=claim_id,
            provider_id="P1",
            client_id=client,
            voucher_id="V1",
            service_code="RECOVERY_MENTORING_IND",
            service_date=day,
            billed_units=2,
            allowed_units=2 if value else 0,
            denied_units=0 if value else 2,
            unit_rate=Decimal("5.00"),
            allowed_amount=value,
            denied_amount=Decimal("0.00") if value else Decimal("10.00"),
            outcome="approved" if value else "denied",
            adjudicated_at=NOW,
        ),
    )


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db, tables
    await db.dispose()


async def test_lines_are_funded_once_in_order_under_the_ceiling(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        command = CreateFiscalYear(
            fiscal_year=2027, allotments=[Decimal("15.00"), Decimal("10.00"), 0, 0]
        )
        await open_year(uow, command, "tok-admin", TODAY)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(FiscalYearExistsError):
            await open_year(uow, CreateFiscalYear(fiscal_year=2027, total=Decimal(1)), None, TODAY)
    batch = [
        _adjudicated("K1", date(2026, 8, 5), "10.00"),  # Q1: 10 of 15
        _adjudicated("K2", date(2026, 8, 6), "10.00"),  # Q1 would be 20 > 15: unfunded
        _adjudicated("K3", date(2026, 10, 7), "10.00"),  # Q2: 20 of 25 (Q1's 5 carried)
        _adjudicated("K4", date(2026, 10, 8), "10.00"),  # 30 > 25: unfunded
        _adjudicated("K5", date(2026, 10, 9), "0.00"),  # denied: nothing to fund
        _adjudicated("K6", date(2025, 10, 9), "5.00"),  # FY2026 never opened: unfunded
    ]
    async with UnitOfWork(db, tables) as uow:
        assert await fund_lines(uow, batch, TODAY, NOW) == 6  # K5 recorded as denied
        emitted = uow.events_emitted
        await uow.commit()
    assert emitted == 5
    async with UnitOfWork(db, tables) as uow:  # redelivered: nothing new
        assert await fund_lines(uow, batch, TODAY, NOW) == 0
        await uow.commit()
    async with db.sessions() as session:
        rows = {
            row.claim_id: (row.funded, row.payable, row.holdback, row.reason)
            for row in await session.execute(select(fundings))
            if row.amount > 0 or row.funded
        }
        outbox = await session.scalar(select(func.count()).select_from(tables.outbox))
    assert rows == {
        "K1": (True, Decimal("9.00"), Decimal("1.00"), None),
        "K2": (False, Decimal("0.00"), Decimal("0.00"), "FUNDS_EXHAUSTED"),
        "K3": (True, Decimal("9.00"), Decimal("1.00"), None),
        "K4": (False, Decimal("0.00"), Decimal("0.00"), "FUNDS_EXHAUSTED"),
        "K6": (False, Decimal("0.00"), Decimal("0.00"), "FUNDS_EXHAUSTED"),
    }
    assert outbox == 6  # the fiscal year and five decisions
    async with UnitOfWork(db, tables) as uow:
        funds = await funds_of(uow, 2027, today=TODAY)
    assert funds is not None
    assert (funds.obligated, funds.payable, funds.held_back, funds.left) == (
        Decimal("20.00"),
        Decimal("18.00"),
        Decimal("2.00"),
        Decimal("5.00"),
    )
    assert [(q.obligated, q.left, q.released) for q in funds.quarters] == [
        (Decimal("10.00"), Decimal("5.00"), True),
        (Decimal("10.00"), Decimal("5.00"), True),
        (Decimal("0.00"), Decimal("5.00"), False),
        (Decimal("0.00"), Decimal("5.00"), False),
    ]


async def test_only_the_fiscal_year_of_the_service_date_pays(database) -> None:  # type: ignore[no-untyped-def]
    """SPEC §3.5: "Services are paid only from the fiscal year they were rendered in."
    FY2026 has money left, FY2027's first quarter has none: a service on June 30, 2026
    is funded from FY2026, one on July 1, 2026 stays unfunded (FY2026's money does not
    carry over the boundary)."""
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        for year, allotments in ((2026, [10, 10, 10, 100]), (2027, [0, 100, 100, 100])):
            await open_year(
                uow,
                CreateFiscalYear(fiscal_year=year, allotments=[Decimal(a) for a in allotments]),
                None,
                TODAY,
            )
        await fund_lines(
            uow,
            [
                _adjudicated("J30", date(2026, 6, 30), "10.00"),
                _adjudicated("J01", date(2026, 7, 1), "10.00"),
            ],
            TODAY,
            NOW,
        )
        await uow.commit()
    async with db.sessions() as session:
        rows = {
            row.claim_id: (row.fiscal_year, row.quarter, row.funded)
            for row in await session.execute(select(fundings))
        }
    assert rows == {"J30": (2026, 4, True), "J01": (2027, 1, False)}
