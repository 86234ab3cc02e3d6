"""Program integrity (SPEC §3.6), hand-computed, on SQLite and PostgreSQL: denials by
reason per month, and the providers an auditor starts from, each with why."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from contracts.envelope import Event
from programs.loader import load_catalog
from services.reporting.domain.patterns import daily_limits
from services.reporting.domain.periods import Period
from services.reporting.service_layer.reports import integrity_report
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
