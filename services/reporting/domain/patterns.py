"""Program-integrity patterns: which providers an auditor should look at first, and why
(SPEC §3.6 program integrity; seed 003 §VI-3 accountability).

The thresholds are this platform's choice (no seed gives numbers); each finding states
the measured share and the rule it broke, so an auditor can judge it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from programs.catalog import Catalog

MIN_SAMPLE = 4
"""Fewer lines (or billing days) than this never make a finding: too few to judge."""

DAILY_MAXIMUM_SHARE = Decimal("0.50")
"""Billing the daily maximum on more than half of its billing days."""

CORRECTED_SHARE = Decimal("0.20")
"""More than a fifth of its lines corrected or voided after the decision."""

DENIED_SHARE = Decimal("0.30")
"""More than 30 % of its lines denied in whole."""


@dataclass(frozen=True)
class DailyLimit:
    """A per-client daily unit limit of a service family (catalog ``per: day``)."""

    family: tuple[str, ...]
    units: int


def daily_limits(catalog: Catalog) -> dict[str, DailyLimit]:
    """The daily unit limits of the catalog by service code (seed 000 "not to exceed N
    units per day"). Limits of one unit a day are left out: such a service (a day at
    the drop-in center, a night of housing) is always billed at its maximum, which says
    nothing. Limits narrowed to an activity or to non-face-to-face lines are left out
    too: the report cannot tell which lines they count."""
    limits: dict[str, DailyLimit] = {}
    for code, service in catalog.services.items():
        for limit in service.limits:
            if (
                limit.per != "day"
                or limit.units is None
                or limit.units <= 1
                or limit.activity is not None
                or limit.face_to_face is not None
                or limit.per_line
            ):
                continue
            family = tuple(sorted(limit.codes or [code]))
            for member in family:
                limits.setdefault(member, DailyLimit(family, limit.units))
    return limits


@dataclass(frozen=True)
class BilledLine:
    """What the pattern rules need of one claim line."""

    provider_id: str
    client_id: str
    service_code: str
    service_date: date
    billed_units: int
    denied: bool
    corrected: bool


@dataclass(frozen=True)
class Finding:
    """One reason a provider is on the auditor's list."""

    provider_id: str
    pattern: str
    count: int
    of: int
    share: Decimal
    why: str


def _share(count: int, of: int) -> Decimal:
    return (Decimal(count) / Decimal(of)).quantize(Decimal("0.0001")) if of else Decimal(0)


def unusual_patterns(
    lines: Iterable[BilledLine], limits: Mapping[str, DailyLimit]
) -> list[Finding]:
    """The providers whose lines show a pattern worth an audit, each with why: the daily
    maximum billed on most billing days, many corrections, many denials (thresholds
    above). Sorted by provider, then pattern."""
    per_day: dict[tuple[str, str, tuple[str, ...], date], int] = defaultdict(int)
    family_limit: dict[tuple[str, ...], int] = {}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in lines:
        counts = totals[line.provider_id]
        counts[0] += 1
        counts[1] += line.denied
        counts[2] += line.corrected
        limit = limits.get(line.service_code)
        if limit is not None:
            key = (line.provider_id, line.client_id, limit.family, line.service_date)
            per_day[key] += line.billed_units
            family_limit[limit.family] = limit.units
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (provider_id, _, family, _), units in per_day.items():
        days[provider_id][0] += 1
        days[provider_id][1] += units >= family_limit[family]
    findings: list[Finding] = []
    for provider_id, (billing_days, at_max) in days.items():
        share = _share(at_max, billing_days)
        if billing_days >= MIN_SAMPLE and share > DAILY_MAXIMUM_SHARE:
            findings.append(
                Finding(
                    provider_id,
                    "daily_maximum",
                    at_max,
                    billing_days,
                    share,
                    f"billed a service's daily maximum on {at_max} of {billing_days} "
                    f"client billing days (more than {DAILY_MAXIMUM_SHARE:.0%})",
                )
            )
    for provider_id, (count, denied, corrected) in totals.items():
        if count < MIN_SAMPLE:
            continue
        if _share(corrected, count) > CORRECTED_SHARE:
            findings.append(
                Finding(
                    provider_id,
                    "corrections",
                    corrected,
                    count,
                    _share(corrected, count),
                    f"corrected or voided {corrected} of {count} lines after the decision "
                    f"(more than {CORRECTED_SHARE:.0%})",
                )
            )
        if _share(denied, count) > DENIED_SHARE:
            findings.append(
                Finding(
                    provider_id,
                    "denials",
                    denied,
                    count,
                    _share(denied, count),
                    f"{denied} of {count} lines denied in whole (more than {DENIED_SHARE:.0%})",
                )
            )
    return sorted(findings, key=lambda f: (f.provider_id, f.pattern))
