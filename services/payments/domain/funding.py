"""Fiscal years, quarterly allotments and the funding rule (SPEC §3.5; seed 003
Appendix E §6 "Voucher Closure/Expiration and Subsidy Shortfalls", §5 "Invoicing and
Payment for Services").

Seed 003 App. E §6: the year's subsidy funds are allocated quarterly "during the fiscal
year (July 1 to June 30), one-fourth being made available July 1st, one-fourth added in
on October 1st, and so on. If the quarterly allotment was exhausted prior to the end of
the quarter service subsidies stopped until the new quarter began and a new allotment
was added. At that point services rendered after the beginning of the new quarter could
be entered and subsidized."

SPEC §3.5 makes that exact as the **cumulative ceiling**: a line for a service dated in
quarter Q is funded only if, for every quarter k from Q to the current one, the
obligations for services dated up to k plus this line stay within the allotments
released up to k. Unspent money carries forward; a service dated in an exhausted
quarter stays unfunded even after new money arrives; only the fiscal year the service
was rendered in pays for it; a line is funded whole or not at all.

Pure: no clock, no I/O; the caller passes ``today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
QUARTERS = (1, 2, 3, 4)
HOLDBACK_SHARE = Decimal("0.10")
"""Of each funded line 10 % is held back on the provider's episode, 90 % is payable
(SPEC §3.5; seed 003 App. E §2 incentives)."""


def fiscal_year_of(day: date) -> int:
    """The fiscal year ``day`` falls in, named by the year it ends in (FY2027 =
    2026-07-01 … 2027-06-30)."""
    return day.year + 1 if day.month >= 7 else day.year


def quarter_of(day: date) -> int:
    """The fiscal quarter of ``day``: 1 = Jul-Sep, 2 = Oct-Dec, 3 = Jan-Mar, 4 = Apr-Jun."""
    return (day.month - 7) % 12 // 3 + 1


def quarter_start(fiscal_year: int, quarter: int) -> date:
    """The day quarter ``quarter`` of ``fiscal_year`` begins (its allotment's release)."""
    month = 7 + 3 * (quarter - 1)
    return date(fiscal_year - 1, month, 1) if month <= 12 else date(fiscal_year, month - 12, 1)


def equal_allotments(total: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """A quarter of ``total`` each, to the cent; the last quarter takes the rounding so
    the four add up to ``total`` exactly."""
    quarter = (total / 4).quantize(CENT, rounding=ROUND_HALF_UP)
    return (quarter, quarter, quarter, total - 3 * quarter)


@dataclass(frozen=True)
class FiscalYear:
    """A fiscal year's four allotments, released on Jul 1, Oct 1, Jan 1 and Apr 1."""

    year: int
    allotments: tuple[Decimal, Decimal, Decimal, Decimal]

    @property
    def starts_on(self) -> date:
        """July 1 of the year before the one it is named by."""
        return quarter_start(self.year, 1)

    @property
    def ends_on(self) -> date:
        """June 30 of the year it is named by."""
        return date(self.year, 6, 30)

    def released_on(self, quarter: int) -> date:
        """When quarter ``quarter``'s allotment is released."""
        return quarter_start(self.year, quarter)

    def current_quarter(self, today: date) -> int:
        """The last quarter whose allotment is released on ``today`` (0 before the year
        starts; 4 once it has ended)."""
        return sum(1 for q in QUARTERS if self.released_on(q) <= today)

    def released_through(self, quarter: int) -> Decimal:
        """The allotments released up to and including ``quarter``."""
        return sum(self.allotments[:quarter], Decimal("0.00"))


def fundable(
    year: FiscalYear,
    obligated: Sequence[Decimal],
    service_quarter: int,
    amount: Decimal,
    today: date,
) -> bool:
    """Whether a line of ``amount`` for a service dated in ``service_quarter`` is funded
    whole (SPEC §3.5 cumulative ceiling).

    ``obligated`` holds, per quarter 1-4, what is already funded for services dated in
    that quarter. For every quarter k from the service's to the current one, the
    obligations for services dated up to k plus this line must stay within the
    allotments released up to k. A service dated in a quarter whose allotment is not
    released yet (a date after ``today``) is not funded. The quarters after the current
    one are checked too, against their allotments: with a clock that only moves
    forward nothing is obligated there yet and the check is implied by the current
    quarter's, but a clock set back must not let a late line overdraw them.
    """
    current = year.current_quarter(today)
    if amount <= 0 or service_quarter > current:
        return False
    return all(
        sum(obligated[:k], Decimal("0.00")) + amount <= year.released_through(k)
        for k in range(service_quarter, len(QUARTERS) + 1)
    )


def split(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(payable, holdback) of a funded ``amount``: the holdback is 10 % to the cent
    (half up), the payable the rest, so payable + holdback = funded exactly (SPEC §3.5
    invariant)."""
    holdback = (amount * HOLDBACK_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount - holdback, holdback
