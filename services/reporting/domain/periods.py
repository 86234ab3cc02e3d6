"""Report periods: a fiscal year or one of its quarters (SPEC §3.5: July to June, named
by the year it ends in; quarters start Jul 1, Oct 1, Jan 1, Apr 1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_PATTERN = r"^20[0-9]{2}(Q[1-4])?$"
"""``2027Q2`` (fiscal year 2027, second quarter: Oct 1 to Dec 31, 2026) or ``2027``
(the whole fiscal year)."""

_PERIOD = re.compile(PERIOD_PATTERN)


def quarter_start(fiscal_year: int, quarter: int) -> date:
    """First day of a fiscal quarter (SPEC §3.5 allotment dates)."""
    month = 7 + 3 * (quarter - 1)
    return date(fiscal_year - 1, month, 1) if month <= 12 else date(fiscal_year, month - 12, 1)


def fiscal_year_of(day: date) -> int:
    """The fiscal year a day falls in (SPEC §3.5: FY2027 = 2026-07-01 to 2027-06-30)."""
    return day.year + 1 if day.month >= 7 else day.year


@dataclass(frozen=True)
class Period:
    """A report period: ``quarter`` None means the whole fiscal year."""

    fiscal_year: int
    quarter: int | None

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2027Q2`` or ``2027``; ValueError otherwise."""
        if not _PERIOD.match(text):
            raise ValueError(f"period {text!r} is not YYYY or YYYYQn")
        year = int(text[:4])
        return cls(year, int(text[5]) if len(text) > 4 else None)

    @property
    def name(self) -> str:
        """The period as given (``2027Q2``)."""
        return f"{self.fiscal_year}" + (f"Q{self.quarter}" if self.quarter else "")

    @property
    def starts_on(self) -> date:
        """First day of the period."""
        return quarter_start(self.fiscal_year, self.quarter or 1)

    @property
    def ends_on(self) -> date:
        """Last day of the period."""
        if self.quarter is None or self.quarter == 4:
            return date(self.fiscal_year, 6, 30)
        return quarter_start(self.fiscal_year, self.quarter + 1) - timedelta(days=1)

    @property
    def quarters(self) -> tuple[int, ...]:
        """The fiscal quarters the period covers."""
        return (self.quarter,) if self.quarter else (1, 2, 3, 4)

    def months(self) -> list[str]:
        """The calendar months of the period, ``YYYY-MM``, in order."""
        out: list[str] = []
        day = self.starts_on
        while day <= self.ends_on:
            out.append(f"{day.year}-{day.month:02d}")
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return out
