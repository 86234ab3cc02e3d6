"""Corrections reverse funding (SPEC §3.5: money is never silently changed after the
fact), on SQLite and PostgreSQL: a line corrected before any run simply pays less; a
line a run already paid is taken back on the next run's invoice; the quarter gets the
money back (it can fund other lines); a released holdback's part is taken back too; a
correction is applied once; the ledger stays sound throughout."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear
from contracts.claims import ClaimCorrected, ClaimCorrectedData
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import fundings, metadata
from services.payments.service_layer import holdbacks, incentives
from services.payments.service_layer.adjustments import UnknownLineError, apply_corrections
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.incentives import distribute_pool
from services.payments.service_layer.invoicing import remittance, remittance_csv, run_invoices
from services.payments.service_layer.ledger import check_ledger
from tests.payments.test_fund_lines import _adjudicated
from tests.payments.test_holdbacks import _discharge, _gpra
from tests.payments.test_incentives import _discharge_gpra

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOVEMBER = date(2026, 11, 20)


def corrected(
    claim_id: str, before: str, after: str, n: int = 1, day: date = date(2026, 10, 5)
) -> ClaimCorrected:
    """The claims service's event: ``claim_id`` (2 units at 5.00) corrected from
    ``before`` to ``after`` allowed."""
    return ClaimCorrected(
        subject="C1",
        data=ClaimCorrectedData(
            claim_id=claim_id,
            claim_ref=claim_id,
            correction_id=f"COR-{claim_id}-{n}",
            provider_id="P1",
            client_id="C1",
            voucher_id="V1",
            service_code="RECOVERY_MENTORING_IND",
            service_date=day,
            billed_units=int(Decimal(after) / 5),
            allowed_units=int(Decimal(after) / 5),
            allowed_amount=Decimal(after),
            unit_rate=Decimal("5.00"),
            previous_billed_units=int(Decimal(before) / 5),
            previous_allowed_units=int(Decimal(before) / 5),
            previous_allowed_amount=Decimal(before),
            voided=Decimal(after) == 0,
            corrected_at=NOW,
        ),
    )


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(db, tables) as uow:
        allotments = [Decimal("0.00"), Decimal("30.00"), Decimal("0.00"), Decimal("0.00")]
        await open_year(
            uow, CreateFiscalYear(fiscal_year=2027, allotments=allotments), None, NOVEMBER
        )
        await uow.commit()
    yield db, tables
    await db.dispose()


async def _sound(db: Database) -> None:
    async with db.read_sessions() as session:
        assert await check_ledger(session) == []


async def test_a_correction_before_any_run_pays_less_and_frees_the_quarter(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(
            uow,
            [
                _adjudicated("K1", date(2026, 10, 5), "20.00"),
                _adjudicated("K2", date(2026, 10, 6), "20.00"),
            ],
            NOVEMBER,
            NOW,
        )  # 40 > 30: K2 unfunded
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        assert await apply_corrections(uow, [corrected("K1", "20.00", "10.00")], NOVEMBER, NOW) == 1
        emitted = uow.events_emitted
        await uow.commit()
    assert emitted == 1  # FundingAdjusted
    await _sound(db)
    async with UnitOfWork(db, tables) as uow:
        funds = await funds_of(uow, 2027, today=NOVEMBER)
    assert funds is not None
    q2 = funds.quarters[1]
    assert (q2.obligated, q2.payable, q2.held_back) == (
        Decimal("10.00"),
        Decimal("9.00"),
        Decimal("1.00"),
    )
    # the 10.00 given back funds a new line of the same quarter
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, [_adjudicated("K3", date(2026, 10, 7), "20.00")], NOVEMBER, NOW)
        await uow.commit()
    await _sound(db)
    async with UnitOfWork(db, tables) as uow:
        run = await run_invoices(uow, "2026-11", None)
        await uow.commit()
        statement = await remittance(uow, "2026-11", "P1")
    assert [(i.payable, i.adjusted, i.total) for i in run.invoices] == [
        (Decimal("27.00"), Decimal("0.00"), Decimal("27.00"))  # 9.00 + 18.00
    ]
    assert statement is not None
    assert statement.adjustments == []
    assert [(x.claim_id, x.status, x.amount, x.paid) for x in statement.lines] == [
        ("K1", "paid", Decimal("10.00"), Decimal("9.00")),
        ("K2", "unfunded", Decimal("20.00"), Decimal("0.00")),
        ("K3", "paid", Decimal("20.00"), Decimal("18.00")),
    ]
    await _sound(db)


async def test_a_paid_line_voided_is_taken_back_on_the_next_invoice(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, [_adjudicated("K1", date(2026, 10, 5), "20.00")], NOVEMBER, NOW)
        await holdbacks.on_discharge(uow, _discharge("V1", "C1"), NOVEMBER)
        await holdbacks.on_gpra(uow, _gpra("C1"), NOVEMBER)  # releases the 2.00
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        first = await run_invoices(uow, "2026-12", None)  # pays 18.00 + 2.00 released
        await uow.commit()
    assert [i.total for i in first.invoices] == [Decimal("20.00")]

    december = date(2026, 12, 2)
    voided = corrected("K1", "20.00", "0.00")
    async with UnitOfWork(db, tables) as uow:
        await apply_corrections(uow, [voided], december, NOW)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:  # redelivered: applied once
        assert await apply_corrections(uow, [voided], december, NOW) == 0
        await uow.commit()
    await _sound(db)
    async with UnitOfWork(db, tables) as uow:
        funds = await funds_of(uow, 2027, today=december)
    assert funds is not None
    assert funds.quarters[1].obligated == Decimal("0.00")
    assert funds.released == Decimal("0.00")
    async with UnitOfWork(db, tables) as uow:
        january = await run_invoices(uow, "2027-01", None)
        await uow.commit()
        statement = await remittance(uow, "2027-01", "P1")
        december_statement = await remittance(uow, "2026-12", "P1")
    assert [(i.payable, i.released, i.adjusted, i.total) for i in january.invoices] == [
        (Decimal("0.00"), Decimal("0.00"), Decimal("-20.00"), Decimal("-20.00"))
    ]
    assert statement is not None
    assert [(a.claim_id, a.amount, a.adjusted) for a in statement.adjustments] == [
        ("K1", Decimal("-20.00"), Decimal("-20.00"))
    ]
    assert remittance_csv(statement).splitlines()[-1].split(",")[5:8] == [
        "adjusted",
        "-20.00",
        "-20.00",
    ]
    # the earlier statement shows the line as it now stands: voided
    assert december_statement is not None
    assert [(x.claim_id, x.status) for x in december_statement.lines] == [("K1", "voided")]
    await _sound(db)


async def test_a_reduced_line_takes_its_holdback_from_the_open_one_first(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, [_adjudicated("K1", date(2026, 10, 5), "20.00")], NOVEMBER, NOW)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        await apply_corrections(uow, [corrected("K1", "20.00", "15.00")], NOVEMBER, NOW)
        await uow.commit()
        held = await holdbacks.settled_in(uow, 2027)
    assert held["open"] == Decimal("1.50")  # 10 % of 15.00, nothing to take back
    await _sound(db)
    async with UnitOfWork(db, tables) as uow:
        run = await run_invoices(uow, "2026-11", None)
        await uow.commit()
    assert [(i.payable, i.adjusted) for i in run.invoices] == [(Decimal("13.50"), Decimal("0.00"))]


async def test_a_correction_of_a_line_never_decided_is_refused(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(UnknownLineError):
            await apply_corrections(uow, [corrected("NOPE", "20.00", "0.00")], NOVEMBER, NOW)


async def test_a_holdback_paid_out_in_a_distributed_pool_stays_there(database) -> None:  # type: ignore[no-untyped-def]
    """The pool was shared among providers for their completions: a later correction
    takes back the payable only; the line keeps its forfeited holdback."""
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, [_adjudicated("K1", date(2026, 10, 5), "20.00")], NOVEMBER, NOW)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        assert await holdbacks.forfeit_overdue(uow, date(2027, 1, 15)) == 1
        await incentives.record_completion(uow, _discharge_gpra("C1", "P1", brief=True))
        await distribute_pool(uow, 2027, date(2027, 9, 1), None)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        await apply_corrections(uow, [corrected("K1", "20.00", "0.00")], date(2027, 9, 2), NOW)
        await uow.commit()
        held = await holdbacks.settled_in(uow, 2027)
        funding = (
            await uow.session.execute(select(fundings).where(fundings.c.claim_id == "K1"))
        ).one()
    assert held["forfeited"] == Decimal("2.00")
    assert (funding.amount, funding.payable, funding.holdback) == (
        Decimal("2.00"),
        Decimal("0.00"),
        Decimal("2.00"),
    )
    await _sound(db)
