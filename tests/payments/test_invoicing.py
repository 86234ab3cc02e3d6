"""Monthly invoice runs and remittance statements (SPEC §3.5), on SQLite and PostgreSQL:
a run pays each funded line dated before the month's first day exactly once, reports the
unfunded and denied ones, pays the holdbacks released before that day; one run a month;
the statement lists every line with its status, amounts and reasons, as JSON and CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts.api.payments import CreateFiscalYear
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import metadata
from services.payments.service_layer import holdbacks
from services.payments.service_layer.fiscal_years import open_year
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.invoicing import (
    RunExistsError,
    remittance,
    remittance_csv,
    run_invoices,
)
from tests.payments.test_fund_lines import _adjudicated
from tests.payments.test_holdbacks import _discharge, _gpra

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(db, tables) as uow:
        allotments = [Decimal("0.00"), Decimal("25.00"), Decimal("100.00"), Decimal("100.00")]
        await open_year(uow, CreateFiscalYear(fiscal_year=2027, allotments=allotments), None, TODAY)
        await uow.commit()
    yield db, tables
    await db.dispose()


async def test_a_run_pays_each_line_once_and_reports_every_line(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    lines = [
        _adjudicated("K1", date(2026, 10, 5), "10.00"),  # funded
        _adjudicated("K2", date(2026, 10, 6), "20.00"),  # 30 > 25: unfunded
        _adjudicated("K3", date(2026, 10, 7), "0.00"),  # denied
        _adjudicated("K4", date(2026, 11, 9), "10.00"),  # funded, dated in November
    ]
    november = date(2026, 11, 20)
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, lines, november, NOW)
        await holdbacks.on_discharge(uow, _discharge("V1", "C1"), november)
        await holdbacks.on_gpra(uow, _gpra("C1"), november)  # releases 2.00
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        # dated December: the next run's. Its holdback starts a new open holdback: the
        # discharge interview predates the service, so it is not released by it
        await fund_lines(uow, [_adjudicated("K5", date(2026, 12, 1), "5.00")], TODAY, NOW)
        await uow.commit()

    async with UnitOfWork(db, tables) as uow:
        run = await run_invoices(uow, "2026-12", "tok-admin")
        emitted = uow.events_emitted
        await uow.commit()
    assert emitted == 1  # one InvoiceIssued: one provider
    assert [(i.invoice_id, i.lines, i.payable, i.released, i.total) for i in run.invoices] == [
        ("INV-2026-12-P1", 2, Decimal("18.00"), Decimal("2.00"), Decimal("20.00"))
    ]
    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(RunExistsError):
            await run_invoices(uow, "2026-12", None)

    async with UnitOfWork(db, tables) as uow:
        statement = await remittance(uow, "2026-12", "P1")
        nothing = await remittance(uow, "2026-11", "P1")
    assert nothing is None
    assert statement is not None
    assert [(x.claim_id, x.status, x.paid, x.held_back, x.reasons) for x in statement.lines] == [
        ("K1", "paid", Decimal("9.00"), Decimal("1.00"), []),
        ("K2", "unfunded", Decimal("0.00"), Decimal("0.00"), ["FUNDS_EXHAUSTED"]),
        ("K3", "denied", Decimal("0.00"), Decimal("0.00"), []),
        ("K4", "paid", Decimal("9.00"), Decimal("1.00"), []),
    ]
    assert (statement.paid, statement.released, statement.total) == (
        Decimal("18.00"),
        Decimal("2.00"),
        Decimal("20.00"),
    )
    csv = remittance_csv(statement).splitlines()
    assert csv[0].startswith("claim_id,client_id,voucher_id,service_code,service_date,status")
    assert csv[2].endswith(",unfunded,20.00,0.00,0.00,FUNDS_EXHAUSTED")
    assert csv[-1].split(",")[5:8] == ["released", "2.00", "2.00"]

    # January's run takes December's line, and nothing the December run took
    async with UnitOfWork(db, tables) as uow:
        january = await run_invoices(uow, "2027-01", None)
        await uow.commit()
    assert [(i.lines, i.payable, i.released) for i in january.invoices] == [
        (1, Decimal("4.50"), Decimal("0.00"))
    ]
