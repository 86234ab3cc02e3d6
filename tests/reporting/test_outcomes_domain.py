"""Pure rules of the outcome reports (SPEC §3.6; seed 003 App. C): fiscal quarters and
the report's due date, the due list with a voucher discharge, the follow-up rate."""

from __future__ import annotations

from datetime import date

import pytest

from services.eligibility.domain.gpra_schedule import Episode
from services.reporting.domain.gpra import (
    ClientHistory,
    InterviewFact,
    PeriodError,
    VoucherFact,
    follow_up_rates,
    owed_interviews,
    parse_quarter,
    percent,
    worklist,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("period", "starts", "ends", "due"),
    [
        ("2027Q1", "2026-07-01", "2026-09-30", "2026-10-30"),
        ("2027Q2", "2026-10-01", "2026-12-31", "2027-01-30"),
        ("2027Q3", "2027-01-01", "2027-03-31", "2027-04-30"),
        ("2027Q4", "2027-04-01", "2027-06-30", "2027-07-30"),
    ],
)
def test_fiscal_quarters_and_the_report_due_30_days_after(
    period: str, starts: str, ends: str, due: str
) -> None:
    """Quarters as payments' allotments (SPEC §3.5); due 30 days after (App. C §5c.1)."""
    quarter = parse_quarter(period)
    assert (quarter.starts_on, quarter.ends_on, quarter.due_on) == (D(starts), D(ends), D(due))
    assert quarter.name == period


@pytest.mark.parametrize("period", ["2027Q0", "2027Q5", "2027-06", "27Q1", "2027q1", ""])
def test_other_periods_are_refused(period: str) -> None:
    with pytest.raises(PeriodError):
        parse_quarter(period)


def test_percent_rounds_half_up_to_one_decimal() -> None:
    assert str(percent(2, 3)) == "66.7"
    assert str(percent(1, 8)) == "12.5"
    assert percent(0, 0) is None


def history(*vouchers: VoucherFact) -> ClientHistory:
    intake = InterviewFact("I1", "C1", "intake", D("2026-09-03"), "P1")
    return ClientHistory("C1", [Episode(1, D("2026-09-01"))], [intake], list(vouchers))


def test_without_a_voucher_discharge_the_follow_up_falls_due() -> None:
    owed = owed_interviews(history(), D("2026-11-10"))
    assert [(d.kind, d.due_by, d.status) for d in owed] == [
        ("follow_up", D("2026-11-03"), "overdue"),  # two months after the Sep 3 intake
        ("discharge", D("2027-10-01"), "upcoming"),  # the voucher's year plus 30 days
    ]
    entries = worklist([history()], D("2026-11-10"))
    assert [(e.owed.kind, e.overdue_days) for e in entries] == [("follow_up", 7)]


def test_a_voucher_discharge_opens_the_discharge_interview() -> None:
    voucher = VoucherFact(
        "V1", "C1", "service", D("2026-09-03"), "P2", D("2026-09-05"), D("2026-10-15")
    )
    owed = owed_interviews(history(voucher), D("2026-11-10"))
    # the follow-up due Nov 3 is after the exit: dropped; the discharge is due by Nov 14
    assert [(d.kind, d.opens_on, d.due_by, d.status) for d in owed] == [
        ("discharge", D("2026-10-15"), D("2026-11-14"), "due"),
    ]
    entries = worklist([history(voucher)], D("2026-11-20"))
    assert [(e.provider_id, e.owed.kind, e.overdue_days) for e in entries] == [
        ("P2", "discharge", 6)
    ]


def test_a_recorded_discharge_interview_leaves_only_the_post_exit_sample() -> None:
    voucher = VoucherFact("V1", "C1", "service", D("2026-09-03"), "P1", None, D("2026-10-15"))
    done = history(voucher)
    done.interviews.append(InterviewFact("I2", "C1", "discharge", D("2026-10-20"), "P1"))
    owed = owed_interviews(done, D("2027-04-25"))
    assert [(d.kind, d.opens_on, d.due_by, d.status) for d in owed] == [
        ("post_exit", D("2027-03-21"), D("2027-05-20"), "due"),
    ]
    rates, program = follow_up_rates([done], worklist([done], D("2027-06-01")), D("2027-06-01"))
    # the discharge interview counts; a missed post-exit sample does not
    assert [(r.provider_id, r.conducted, r.missed) for r in rates] == [("P1", 1, 0)]
    assert program.rate == 100
