"""Constrained field types every request body and path shares (checked at the edge).

Whatever the gateway accepts, a worker must be able to decide (bad input
loses nothing): ids are short and printable, free text has no control characters,
times of day carry no UTC offset (a service time is the provider's local wall-clock
time, and mixing offset and local times cannot be compared).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
"""Letters, digits and ``_ . : -``; 1 to 64 characters (claim refs, client, voucher ids…)."""

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
"""An identifier: printable, no spaces, safe in a URL path segment."""

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]{1,64}$")]
"""A catalog code (service, credential, attribute): letters, digits and underscores."""


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


NoControlCharacters = AfterValidator(_no_control_characters)
"""Refuses control characters (C0 and DEL) in a string; combine with a length bound."""

Text = Annotated[str, Field(max_length=500), AfterValidator(_no_control_characters)]
"""Free text up to 500 characters, without control characters."""

ShortText = Annotated[str, Field(max_length=64), AfterValidator(_no_control_characters)]
"""Short free text (a serial number, an activity label)."""


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give the local time of day without a UTC offset (e.g. 09:30)")
    return value


LocalTime = Annotated[time, AfterValidator(_local_time)]
"""A wall-clock time of day without an offset (SPEC §3.4 start/end times)."""


EARLIEST_RECORD_DATE = date(2000, 1, 1)
"""No program record predates this: the ATR grants began with fiscal year 2004 (seed 003
"fiscal year (FY) 2004 grants"); 2000 leaves room for older staff and client records."""

LATEST_RECORD_DATE = date(2100, 12, 31)


def _record_date(value: date) -> date:
    if not EARLIEST_RECORD_DATE <= value <= LATEST_RECORD_DATE:
        raise ValueError(
            f"must be between {EARLIEST_RECORD_DATE.isoformat()} and "
            f"{LATEST_RECORD_DATE.isoformat()}"
        )
    return value


RecordDate = Annotated[date, AfterValidator(_record_date)]
"""A date in the program's records (tests, consents, admissions, statuses …): a
plausible calendar date, 2000-01-01 to 2100-12-31. Whether it may lie in the future, and
how far, is the owning service's rule."""

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _birth_date(value: date) -> date:
    if value < EARLIEST_BIRTH_DATE:
        raise ValueError(f"must not be before {EARLIEST_BIRTH_DATE.isoformat()}")
    if value > datetime.now(UTC).date():
        raise ValueError("must not be in the future")
    return value


BirthDate = Annotated[date, AfterValidator(_birth_date)]
"""A date of birth: from 1900-01-01 to today (UTC)."""
