"""Per-person cost per modality against SAMHSA's reasonable ranges (seed 003 Appendix G,
"Managing on the Basis of Reasonable Costs", lines 2310-2344 of
``003_c17bc0ab307bfe13.txt``).

Appendix G: "Per person costs for each modality should be computed by dividing [...] the
amount of the project budget used to fund that program component" by the persons
served in it, and gives ranges for four treatment modalities; "cost ranges for recovery
support services are not specified". Every service of the platform's catalogs is a
recovery support service, so they map to ``recovery_support`` (no range, never
flagged) unless :data:`SERVICE_MODALITIES` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from contracts.payments import CostModality

Modality = CostModality

Flag = Literal["below_range", "within_range", "above_range", "no_range"]


@dataclass(frozen=True)
class CostRange:
    """A modality's reasonable per-person range in dollars, with its citation."""

    low: Decimal
    high: Decimal
    source: str


REASONABLE_RANGES: dict[str, CostRange] = {
    "screening_brief_outreach_pretreatment": CostRange(
        Decimal("200"),
        Decimal("1200"),
        "seed 003 App. G (lines 2325-2326): Screening/Brief Intervention/Brief Treatment/"
        "Outreach/Pretreatment Services, $200 to $1,200",
    ),
    "outpatient_non_methadone": CostRange(
        Decimal("1000"),
        Decimal("5000"),
        "seed 003 App. G (line 2327): Outpatient (Non-Methadone), $1,000 to $5,000",
    ),
    "outpatient_methadone": CostRange(
        Decimal("1500"),
        Decimal("8000"),
        "seed 003 App. G (line 2328): Outpatient (Methadone), $1,500 to $8,000",
    ),
    "residential": CostRange(
        Decimal("3000"),
        Decimal("10000"),
        "seed 003 App. G (line 2329): Residential, $3,000 to $10,000",
    ),
}
"""The four ranges Appendix G gives; recovery support has none (seed 003 App. G)."""

DEFAULT_MODALITY: Modality = "recovery_support"
"""Every catalog service today: recovery support (seed 000, seed 003 §I)."""

SERVICE_MODALITIES: dict[str, Modality] = {}
"""Catalog services that are treatment rather than recovery support, by code (none in
the current catalogs; a program adding treatment services maps them here)."""


def modality_of(service_code: str, mapping: Mapping[str, str] | None = None) -> str:
    """The Appendix G modality of a service (``recovery_support`` by default)."""
    table = SERVICE_MODALITIES if mapping is None else mapping
    return table.get(service_code, DEFAULT_MODALITY)


def applicable_range(
    modality: str, proposed: Mapping[str, CostRange] | None = None
) -> CostRange | None:
    """The range a modality's per-person cost is checked against: the state's own where
    it proposed one (App. G: for recovery support "applicants are expected to provide
    costs"; a deviation from a given range comes with "a justification"), else
    Appendix G's, else none."""
    if proposed and modality in proposed:
        return proposed[modality]
    return REASONABLE_RANGES.get(modality)


def cost_flag(
    modality: str, per_person: Decimal, proposed: Mapping[str, CostRange] | None = None
) -> Flag:
    """Where a per-person cost stands against the modality's applicable range."""
    reasonable = applicable_range(modality, proposed)
    if reasonable is None:
        return "no_range"
    if per_person < reasonable.low:
        return "below_range"
    if per_person > reasonable.high:
        return "above_range"
    return "within_range"
