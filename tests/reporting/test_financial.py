"""The financial report (SPEC §3.6; seed 003 App. G), hand-computed, on SQLite and
PostgreSQL; and its funded totals equal the payments ledger's obligations for the same
events (payments' own service layer emits them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import TypeAdapter
from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear
from contracts.payments import (
    AdministrativeCostRecorded,
    AdministrativeCostRecordedData,
    FundingAdjusted,
    FundingAdjustedData,
    PaymentEvent,
    ProposedCostRange,
)
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import metadata as payments_metadata
from services.payments.service_layer.adjustments import apply_corrections
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from services.reporting.domain.periods import Period
from services.reporting.service_layer.reports import financial_report, report_csv
from tests.reporting.builders import NOW, corrected, decided, funded, year_opened
from tests.reporting.conftest import Reporting

D = Decimal


def adjusted(
    line_id: str, provider: str, client: str, day: date, old: str, new: str
) -> FundingAdjusted:
    """Payments reversing a funded line's correction."""
    delta = D(new) - D(old)
    return FundingAdjusted(
        subject=provider,
        data=FundingAdjustedData(
            claim_id=line_id,
            correction_id=f"COR-{line_id}",
            provider_id=provider,
            client_id=client,
            voucher_id=f"V-{client}",
            service_date=day,
            fiscal_year=2027,
            quarter=2,
            amount=D(new),
            payable=D(new) * D("0.9"),
            holdback=D(new) * D("0.1"),
            amount_delta=delta,
            payable_delta=delta * D("0.9"),
            holdback_delta=delta * D("0.1"),
            next_invoice=D("0.00"),
            adjusted_at=NOW,
        ),
    )


def scenario() -> list:  # type: ignore[type-arg]
    k1 = decided("K1", date(2026, 10, 5), client="C1")  # 2 units, 10.00
    k2 = decided("K2", date(2026, 10, 5), client="C2", billed=4, allowed=4)  # 20.00
    k3 = decided("K3", date(2026, 10, 7), allowed=0, reasons=("DAILY_LIMIT",))  # denied
    k4 = decided("K4", date(2026, 11, 9), provider="P2", client="C3", billed=1, allowed=1)
    return [
        year_opened(2027, "0.00", "25.00", "100.00", "100.00"),
        k1,
        k2,
        k3,
        k4,
        corrected(k1, 1),  # K1 now 1 unit, 5.00
        funded(k1),
        funded(k2, ok=False),  # 10 + 20 > 25: FUNDS_EXHAUSTED
        funded(k4),
        adjusted("K1", "P1", "C1", date(2026, 10, 5), "10.00", "5.00"),
    ]


async def test_financial_report_by_service_day_quarter_and_modality(reporting: Reporting) -> None:
    await reporting.feed(scenario())
    async with reporting.uow() as uow:
        report = await financial_report(uow, Period.parse("2027Q2"))
        mapped = await financial_report(
            uow, Period.parse("2027Q2"), {"RECOVERY_MENTORING_IND": "outpatient_non_methadone"}
        )
        first = await financial_report(uow, Period.parse("2027Q1"))

    assert [(s.service_date, s.unit_rate, s.lines, s.units, s.amount) for s in report.services] == [
        (date(2026, 10, 5), D("5.00"), 2, 5, D("25.00")),  # K1 corrected to 1 + K2 4
        (date(2026, 11, 9), D("5.00"), 1, 1, D("5.00")),
    ]
    assert (report.allowed_units, report.allowed_amount) == (6, D("30.00"))
    assert [
        (q.quarter, q.allotment, q.funded, q.left, q.unfunded_lines) for q in report.quarters
    ] == [
        (1, D("0.00"), D("0.00"), D("0.00"), 0),
        (2, D("25.00"), D("10.00"), D("15.00"), 1),
        (3, D("100.00"), D("0.00"), D("100.00"), 0),
        (4, D("100.00"), D("0.00"), D("100.00"), 0),
    ]
    assert report.funded == D("10.00")
    # two persons (C1, C3) with funded recovery support: 10.00 / 2; App. G has no range
    [support] = report.modalities
    assert (support.modality, support.persons, support.per_person, support.flag) == (
        "recovery_support",
        2,
        D("5.00"),
        "no_range",
    )
    [outpatient] = mapped.modalities
    assert (outpatient.range_low, outpatient.range_high, outpatient.flag) == (
        D("1000"),
        D("5000"),
        "below_range",
    )
    # no administrative expense recorded: 0 of 10.00 spent
    assert (report.administrative_costs, report.administrative_cost_share) == (
        D("0.00"),
        D("0.0"),
    )
    assert not report.administrative_cost_above_limit
    assert first.administrative_cost_share is None  # nothing spent at all
    assert (first.services, first.funded, first.modalities) == ([], D("0.00"), [])

    text = report_csv(report)
    assert "RECOVERY_MENTORING_IND,2026-10-05,5.00,2,5,25.00\r\n" in text
    assert "# quarters" in text
    assert "2027,2,25.00,10.00,15.00,1" in text


def admin_cost(reference: str, quarter: int, amount: str) -> AdministrativeCostRecorded:
    return AdministrativeCostRecorded(
        subject="FY2027",
        data=AdministrativeCostRecordedData(
            reference=reference,
            fiscal_year=2027,
            quarter=quarter,
            category="information_systems",
            amount=D(amount),
            recorded_on=date(2026, 12, 1),
        ),
    )


async def test_the_states_proposed_range_and_the_administrative_share(
    reporting: Reporting,
) -> None:
    """Seed 003 App. G: "While cost ranges for recovery support services are not
    specified above, [...] applicants are expected to provide costs for recovery support
    services that they intend to provide." Seed 003 §I-2.3: administration "preferably
    no more than 15% of total expenditures"."""
    opened = year_opened(2027, "0.00", "25.00", "100.00", "100.00")
    proposal = ProposedCostRange(
        modality="recovery_support", low=D("3.00"), high=D("4.00"), justification="application"
    )
    data = opened.data.model_copy(update={"proposed_costs": [proposal]})
    opened = opened.model_copy(update={"data": data})
    events = [opened, *scenario()[1:]]
    events += [admin_cost("AP-1", 2, "2.00"), admin_cost("AP-2", 3, "100.00")]
    events += [admin_cost("AP-1", 2, "2.00")]  # the same expense published again
    await reporting.feed(events)
    async with reporting.uow() as uow:
        quarter = await financial_report(uow, Period.parse("2027Q2"))
        year = await financial_report(uow, Period.parse("2027"))
    [support] = quarter.modalities
    assert (support.per_person, support.range_low, support.range_high, support.flag) == (
        D("5.00"),
        D("3.00"),
        D("4.00"),
        "above_range",
    )
    assert "state's proposal for FY2027" in (support.range_source or "")
    # Q2: 2.00 of 2.00 + 10.00 funded = 16.7 %; the year: 102.00 of 112.00 = 91.1 %
    assert (quarter.administrative_costs, quarter.administrative_cost_share) == (
        D("2.00"),
        D("16.7"),
    )
    assert quarter.administrative_cost_above_limit
    assert (year.administrative_costs, year.administrative_cost_share) == (
        D("102.00"),
        D("91.1"),
    )
    assert "# administrative_cost_share,2.00,16.7,above_limit" in report_csv(quarter)


async def test_funded_totals_equal_the_payments_ledger(
    reporting: Reporting, tmp_path: Path
) -> None:
    """Payments funds lines and reverses a correction with its own service layer; the
    events it wrote to its outbox, fed to reporting, give the ledger's obligations."""
    payments = Database(f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}")
    tables = add_kit_tables(payments_metadata)
    async with payments.engine.begin() as connection:
        await connection.run_sync(payments_metadata.create_all)
    today = date(2026, 12, 3)
    lines = [
        decided("F1", date(2026, 10, 5), client="C1"),  # 10.00 funded
        decided("F2", date(2026, 10, 6), client="C2", billed=6, allowed=6),  # 30: 40 > 25
        decided("F3", date(2026, 11, 2), client="C2", billed=3, allowed=3),  # 15.00: 25
        decided("F4", date(2027, 1, 15), client="C3", billed=8, allowed=8),  # Q3 40.00
        decided("F5", date(2026, 10, 8), allowed=0, reasons=("NOT_AUTHORIZED",)),
    ]
    fixes = [corrected(lines[0], 1), corrected(lines[3], 0)]  # 10 -> 5; 40 -> void
    async with UnitOfWork(payments, tables) as uow:
        allotments = [D("0.00"), D("25.00"), D("100.00"), D("100.00")]
        await open_year(uow, CreateFiscalYear(fiscal_year=2027, allotments=allotments), None, today)
        await fund_lines(uow, lines, today, NOW)
        await apply_corrections(uow, fixes, today, NOW)
        await uow.commit()
    async with UnitOfWork(payments, tables) as uow:
        funds = await funds_of(uow, 2027, today=today)
        rows = (
            await uow.session.execute(select(tables.outbox.c.payload).order_by(tables.outbox.c.seq))
        ).all()
    await payments.dispose()
    emitted = [TypeAdapter(PaymentEvent).validate_json(row.payload) for row in rows]
    assert {type(e).__name__ for e in emitted} >= {
        "FiscalYearOpened",
        "LineFunded",
        "FundingAdjusted",
    }

    await reporting.feed([*lines, *fixes, *emitted])
    async with reporting.uow() as uow:
        year = await financial_report(uow, Period.parse("2027"))
        q2 = await financial_report(uow, Period.parse("2027Q2"))
    assert funds is not None
    assert year.funded == funds.obligated == D("20.00")  # 5 + 15 + 0
    assert [q.funded for q in year.quarters] == [q.obligated for q in funds.quarters]
    assert [q.allotment for q in year.quarters] == [q.allotment for q in funds.quarters]
    assert q2.funded == funds.quarters[1].obligated
    # the claims store's view: allowed amounts as corrected (5 + 30 + 15 + 0)
    assert year.allowed_amount == D("50.00")
