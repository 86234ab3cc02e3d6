"""Program integrity (SPEC §3.6), hand-computed, on SQLite and PostgreSQL: denials by
reason per month, and the providers an auditor starts from, each with why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from contracts.clients import ChoiceExceptionRecorded, ChoiceExceptionRecordedData
from contracts.envelope import Event
from contracts.vouchers import ProviderSelectedData, VoucherProviderSelected, VoucherSnapshot
from programs.loader import load_catalog
from services.reporting.domain.patterns import daily_limits
from services.reporting.domain.periods import Period
from services.reporting.service_layer.reports import integrity_report, report_csv
from tests.reporting.builders import corrected, decided
from tests.reporting.conftest import Reporting

D = Decimal
CATALOG = load_catalog("missouri_atr2")
DAY = date(2026, 10, 5)


def scenario() -> list[Event]:
    events: list[Event] = []
    # P1: six client billing days of care coordination (daily limit 4 units): the maximum on five
    for i in range(6):
        events.append(
            decided(
                f"A{i}",
                DAY + timedelta(days=i),
                provider="P1",
                code="CARE_COORDINATION",
                billed=4 if i < 5 else 2,
                allowed=4 if i < 5 else 2,
            )
        )
    # P2: four lines, two denied (October, November), two corrected
    b0 = decided("B0", DAY, provider="P2", client="C2")
    b1 = decided("B1", DAY + timedelta(days=1), provider="P2", client="C2")
    events += [
        b0,
        b1,
        decided("B2", DAY, provider="P2", client="C3", allowed=0, reasons=("NOT_AUTHORIZED",)),
        decided(
            "B3",
            date(2026, 11, 3),
            provider="P2",
            client="C3",
            allowed=0,
            reasons=("DAILY_LIMIT", "NOT_AUTHORIZED"),
        ),
        corrected(b0, 1),
        corrected(b1, 0),
    ]
    # P3: three lines, all denied: too few to judge
    events += [
        decided(f"C{i}", DAY, provider="P3", client=f"D{i}", allowed=0, reasons=("DAILY_LIMIT",))
        for i in range(3)
    ]
    return events


def test_the_catalogs_daily_limits_leave_out_one_unit_services() -> None:
    limits = daily_limits(CATALOG)
    assert limits["CARE_COORDINATION"].units == 4
    assert "RECOVERY_MENTORING_IND" not in limits  # no daily limit
    assert "DROP_IN_CENTER" not in limits  # one unit a day: always the maximum


async def test_integrity_report(reporting: Reporting) -> None:
    await reporting.feed(scenario())
    async with reporting.uow() as uow:
        report = await integrity_report(uow, Period.parse("2027Q2"), CATALOG)
    assert [(m.month, m.reason, m.lines, m.amount) for m in report.denials_by_month] == [
        ("2026-10", "DAILY_LIMIT", 3, D("30.00")),
        ("2026-10", "NOT_AUTHORIZED", 1, D("10.00")),
        ("2026-11", "DAILY_LIMIT", 1, D("10.00")),
        ("2026-11", "NOT_AUTHORIZED", 1, D("10.00")),
    ]
    assert [(f.provider_id, f.pattern, f.count, f.of, f.share) for f in report.findings] == [
        ("P1", "daily_maximum", 5, 6, D("0.8333")),
        ("P2", "corrections", 2, 4, D("0.5000")),
        ("P2", "denials", 2, 4, D("0.5000")),
    ]
    assert report.findings[0].why.startswith("billed a service's daily maximum on 5 of 6")


def _selected(voucher_id: str, provider: str, day: date, *, self_referral: bool) -> Event:
    snapshot = VoucherSnapshot(
        voucher_id=voucher_id,
        client_id=f"C-{voucher_id}",
        kind="service",
        status="provider_selected",
        version=2,
        issued_on=day,
        valid_from=day,
        valid_until=day + timedelta(days=365),
        provider_id=provider,
    )
    return VoucherProviderSelected(
        subject=voucher_id,
        time=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        data=ProviderSelectedData(
            voucher=snapshot, provider_id=provider, selected_by="tok-a", self_referral=self_referral
        ),
    )


def _exception(exception_id: str, day: date) -> Event:
    return ChoiceExceptionRecorded(
        subject="C9",
        data=ChoiceExceptionRecordedData(
            client_id="C9",
            exception_id=exception_id,
            service_code="RECOVERY_MENTORING_IND",
            county="Boone",
            shortfalls=["FEWER_THAN_TWO_PROVIDERS"],
            offered=["P1"],
            recorded_on=day,
            organisation_id="ORG-1",
        ),
    )


async def test_choice_exceptions_and_self_referrals_are_listed(reporting: Reporting) -> None:
    """SPEC §3.2: "the system records a choice exception, which reports show"; "a
    selection of the assessor's own organisation is recorded as a self-referral and
    reported". Only those of the period; a redelivery lists nothing twice."""
    events = [
        _exception("X1", date(2026, 10, 3)),
        _exception("X0", date(2026, 9, 30)),  # the quarter before
        _selected("V1", "P1", date(2026, 10, 4), self_referral=True),
        _selected("V2", "P2", date(2026, 10, 5), self_referral=False),
    ]
    await reporting.feed(events)
    await reporting.feed(events)
    async with reporting.uow() as uow:
        report = await integrity_report(uow, Period.parse("2027Q2"), CATALOG)
    assert [(x.exception_id, x.shortfalls, x.offered) for x in report.choice_exceptions] == [
        ("X1", "FEWER_THAN_TWO_PROVIDERS", 1)
    ]
    assert [(s.provider_id, s.voucher_id, s.selected_on) for s in report.self_referrals] == [
        ("P1", "V1", date(2026, 10, 4))
    ]
    csv = report_csv(report)
    assert "# choice_exceptions" in csv
    assert "# self_referrals" in csv
