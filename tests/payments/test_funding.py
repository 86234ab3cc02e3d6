"""The funding rule (SPEC §3.5; seed 003 App. E §6): fiscal years and quarters, the
cumulative ceiling, funded whole or not at all, the 90/10 split. Pure: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payments.domain.funding import (
    FiscalYear,
    equal_allotments,
    fiscal_year_of,
    fundable,
    quarter_of,
    quarter_start,
    split,
)

FY27 = FiscalYear(2027, equal_allotments(Decimal("400.00")))  # 100.00 a quarter
NONE = [Decimal("0.00")] * 4


def money(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


@pytest.mark.parametrize(
    ("day", "year", "quarter"),
    [
        (date(2026, 7, 1), 2027, 1),
        (date(2026, 9, 30), 2027, 1),
        (date(2026, 10, 1), 2027, 2),
        (date(2026, 12, 31), 2027, 2),
        (date(2027, 1, 1), 2027, 3),
        (date(2027, 4, 1), 2027, 4),
        (date(2027, 6, 30), 2027, 4),
        (date(2027, 7, 1), 2028, 1),
    ],
)
def test_fiscal_years_run_july_to_june_named_by_their_end(
    day: date, year: int, quarter: int
) -> None:
    assert (fiscal_year_of(day), quarter_of(day)) == (year, quarter)
    assert quarter_start(year, quarter) <= day


def test_allotments_are_released_on_jul_oct_jan_apr_first() -> None:
    assert [FY27.released_on(q) for q in (1, 2, 3, 4)] == [
        date(2026, 7, 1),
        date(2026, 10, 1),
        date(2027, 1, 1),
        date(2027, 4, 1),
    ]
    assert FY27.current_quarter(date(2026, 6, 30)) == 0
    assert FY27.current_quarter(date(2026, 10, 1)) == 2
    assert FY27.current_quarter(date(2030, 1, 1)) == 4
    assert equal_allotments(Decimal("100.01")) == tuple(money("25.00", "25.00", "25.00", "25.01"))


def test_a_quarter_exhausted_stops_subsidies_until_the_next_allotment() -> None:
    in_q1 = date(2026, 9, 1)
    used = money("95.00", "0", "0", "0")
    assert fundable(FY27, used, 1, Decimal("5.00"), in_q1)  # exactly the allotment
    assert not fundable(FY27, used, 1, Decimal("5.01"), in_q1)  # whole or not at all


def test_services_after_the_new_quarter_begins_are_subsidised_again() -> None:
    used = money("100.00", "0", "0", "0")
    assert fundable(FY27, used, 2, Decimal("60.00"), date(2026, 10, 2))


def test_a_service_dated_in_an_exhausted_quarter_stays_unfunded_after_new_money() -> None:
    used = money("100.00", "0", "0", "0")
    assert not fundable(FY27, used, 1, Decimal("1.00"), date(2026, 10, 2))


def test_unspent_money_carries_forward() -> None:
    used = money("40.00", "0", "0", "0")
    # quarter 2 may use its own 100 and quarter 1's unspent 60
    assert fundable(FY27, used, 2, Decimal("160.00"), date(2026, 11, 1))
    assert not fundable(FY27, used, 2, Decimal("160.01"), date(2026, 11, 1))


def test_a_late_line_for_an_earlier_quarter_may_not_take_what_later_quarters_spent() -> None:
    # Q1 left 60 unspent, but Q2 has since obligated 150 of the 200 released by then:
    # a Q1 line of 60 fits Q1's ceiling (40 + 60 <= 100) but not Q2's (40 + 150 + 60 > 200)
    used = money("40.00", "150.00", "0", "0")
    assert not fundable(FY27, used, 1, Decimal("60.00"), date(2026, 11, 1))
    assert fundable(FY27, used, 1, Decimal("10.00"), date(2026, 11, 1))


def test_a_quarter_not_released_yet_funds_nothing() -> None:
    assert not fundable(FY27, NONE, 2, Decimal("1.00"), date(2026, 9, 30))
    assert not fundable(FY27, NONE, 1, Decimal("1.00"), date(2026, 6, 30))


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2))
def test_payable_and_holdback_add_up_to_the_funded_amount(amount: Decimal) -> None:
    payable, holdback = split(amount)
    assert payable + holdback == amount
    assert abs(holdback - amount / 10) <= Decimal("0.005")


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=4),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=2),
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_obligations_never_exceed_released_allotments(
    lines: list[tuple[int, Decimal]], current: int
) -> None:
    today = quarter_start(2027, current)
    used = list(NONE)
    for quarter, amount in lines:
        if fundable(FY27, used, quarter, amount, today):
            used[quarter - 1] += amount
    for k in range(1, current + 1):
        assert sum(used[:k]) <= FY27.released_through(k)


def test_a_clock_set_back_cannot_overdraw_later_quarters() -> None:
    # Q3 obligated all that is released by then; a late Q1 line, decided on a clock set
    # back to Q1, would fit Q1's ceiling but overdraw Q3's
    used = money("0", "0", "300.00", "0")
    assert not fundable(FY27, used, 1, Decimal("10.00"), date(2026, 8, 1))
    assert not fundable(FY27, used, 1, Decimal("10.00"), date(2027, 5, 1))  # nor later
    assert fundable(FY27, used, 4, Decimal("100.00"), date(2027, 5, 1))  # Q4's 100 is free
