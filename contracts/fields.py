"""Constrained field types every request body and path shares (checked at the edge).

Whatever the gateway accepts, a worker must be able to decide (DEVELOPERS
non-negotiable 5): ids are short and printable, free text has no control characters,
times of day carry no UTC offset (a service time is the provider's local wall-clock
time, and mixing offset and local times cannot be compared).
"""

from __future__ import annotations

from datetime import time
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
