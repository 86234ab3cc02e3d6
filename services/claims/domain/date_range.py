"""Per-diem lines billed as a date range: one line, several days (SPEC §3.4 windows).

A line with ``service_date_to`` bills one unit a day from ``service_date`` to that day,
for a service whose unit is a day (a stay in emergency housing, seed 000 §5). The
rules decide it as the one-day lines it stands for (:meth:`ClaimLine.day_lines`), in
date order, each seeing the days allowed before it as earlier lines of the client: the
daily and episode limits, conflicts, the voucher's dates and remaining units apply to
each day exactly as they would to separate lines. :func:`combine` puts the days back
together: the units and amounts allowed are the days', the reasons the union of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from contracts.claims import MAX_RANGE_DAYS
from contracts.reasons import Reason
from programs.catalog import Catalog
from services.claims.domain.model import ClaimLine, Decision
from services.claims.domain.precedence import ordered


def range_fault(catalog: Catalog, line: ClaimLine) -> Reason | None:
    """Why a date-range line cannot be decided day by day, or None.

    The gateway refuses such lines (422); a line that reaches the workers anyway is
    denied whole: ``NOT_BILLABLE`` for a service not billed by the day (or unknown),
    ``INVALID_UNITS`` when its units are not its days or it runs backwards or past
    :data:`~contracts.claims.MAX_RANGE_DAYS` days.
    """
    assert line.service_date_to is not None
    try:
        unit = catalog.service(line.service_code).unit
    except KeyError:
        return Reason.NOT_BILLABLE
    if unit != "day":
        return Reason.NOT_BILLABLE
    span = (line.service_date_to - line.service_date).days + 1
    if span < 1 or span > MAX_RANGE_DAYS or line.units != span:
        return Reason.INVALID_UNITS
    return None


def combine(line: ClaimLine, days: Sequence[Decision], rate: Decimal | None) -> Decision:
    """The decision on a date-range line from those on its days (in date order): allowed
    units and amount are the days' sums, the reasons the union of theirs (in precedence
    order), ``allowed_days`` the days allowed; pending when any day is."""
    if any(day.pending for day in days):
        return Decision.pend(line)
    allowed = tuple(
        day_line.service_date
        for day_line, day in zip(line.day_lines(), days, strict=True)
        if day.allowed_units > 0
    )
    reasons: set[Reason] = set()
    for day in days:
        reasons.update(day.reasons)
    return Decision(
        billed_units=line.units,
        allowed_units=sum(day.allowed_units for day in days),
        unit_rate=rate,
        allowed_amount=sum((day.allowed_amount for day in days), Decimal("0.00")),
        reasons=ordered(reasons),
        allowed_days=allowed,
    )
