"""An injectable clock: time rules read it, tests move it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the current time comes from."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def today(self) -> date:
        """The current program date."""
        ...


@dataclass
class SystemClock:
    """The real clock, optionally shifted by whole days (``ATR_CLOCK_OFFSET_DAYS``)."""

    offset_days: int = 0

    def now(self) -> datetime:
        """Wall-clock time plus the configured offset."""
        return datetime.now(UTC) + timedelta(days=self.offset_days)

    def today(self) -> date:
        """Today's date (UTC) plus the configured offset."""
        return self.now().date()


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    moment: datetime = field(default_factory=lambda: datetime(2026, 7, 1, 12, tzinfo=UTC))

    def now(self) -> datetime:
        """The fixed moment."""
        return self.moment

    def today(self) -> date:
        """The fixed moment's date."""
        return self.moment.date()

    def advance(self, *, days: int = 0, seconds: float = 0) -> None:
        """Move time forward."""
        self.moment += timedelta(days=days, seconds=seconds)
