"""The Missouri catalog's 18 prices against the seed text itself.

The summary table of ``seed 000`` ("ATR II Recovery Support Services Summary") and the
numbered descriptions ("N. Name, Unit of Service: …, Fixed Price: $X") are parsed from
``../shared/seeds/000_d17cfdecc07f0a32.txt``, so a typo in ``missouri_atr2.yaml`` fails.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

from programs.loader import load_catalog

SEED_NAME = "000_d17cfdecc07f0a32.txt"
REPO = Path(__file__).resolve().parents[2]
SHARED_SEED = REPO.parent / "shared" / "seeds" / SEED_NAME
VENDORED_SEED = REPO / "programs" / "sources" / SEED_NAME
SEED = SHARED_SEED if SHARED_SEED.exists() else VENDORED_SEED
"""``../shared/seeds`` beside the checkout when present, else the copy kept in the repo."""


SEED_SHA256 = "c6b93db88d6c8e3183b2377e78c76a8d65100aabe198460a6511dac2afe8ec1f"
"""Digest of seed 000 as published in ``../shared/seeds`` (sha256sum, 2026-11-25)."""


def test_vendored_seed_copy_is_the_shared_seed() -> None:
    """The repository's copy of seed 000 is byte-identical to the source document: by its
    digest in every checkout, and byte for byte when ``../shared/seeds`` is beside it."""
    assert hashlib.sha256(VENDORED_SEED.read_bytes()).hexdigest() == SEED_SHA256
    if SHARED_SEED.exists():
        assert VENDORED_SEED.read_bytes() == SHARED_SEED.read_bytes()


SUMMARY_ROWS = {
    ("Care Coordination", "Individual"): "CARE_COORDINATION",
    ("Re-entry Coordination", "Individual"): "REENTRY_COORDINATION",
    ("Child Care", "Individual"): "CHILD_CARE",
    ("Drop-In Center", "Group"): "DROP_IN_CENTER",
    ("Emergency Temporary Housing", "Group"): "EMERGENCY_HOUSING",
    ("Extended Residential Support", "Group"): "EXTENDED_RESIDENTIAL_SUPPORT",
    ("Family Engagement", "Individual"): "FAMILY_ENGAGEMENT_IND",
    ("Family Engagement", "Group"): "FAMILY_ENGAGEMENT_GRP",
    ("Pastoral Counseling", "Individual"): "PASTORAL_COUNSELING_IND",
    ("Pastoral Counseling", "Group"): "PASTORAL_COUNSELING_GRP",
    ("Recovery Mentoring", "Individual"): "RECOVERY_MENTORING_IND",
    ("Recovery Mentoring", "Group"): "RECOVERY_MENTORING_GRP",
    ("Spiritual Life Skills", "Individual"): "SPIRITUAL_LIFE_SKILLS_IND",
    ("Spiritual Life Skills", "Group"): "SPIRITUAL_LIFE_SKILLS_GRP",
    ("Transportation-Mileage", ""): "TRANSPORT_MILEAGE",
    ("Transportation -Public", ""): "TRANSPORT_PUBLIC",
    ("Work Preparation", "Individual"): "WORK_PREP_IND",
    ("Work Preparation", "Group"): "WORK_PREP_GRP",
}
UNITS = {
    "15 minutes": "15_minutes",
    "One Hour": "hour",
    "One Day": "day",
    "Per mile": "mile",
    "Per pass": "pass",
}


def summary_table() -> dict[str, tuple[str, str]]:
    """code → (unit text, price text) from the seed's summary table."""
    text = SEED.read_text()
    block = text[text.index("Name  Type Unit Price") : text.index("* Transportation")]
    rows: dict[str, tuple[str, str]] = {}
    pattern = re.compile(
        r"^(?P<name>[A-Za-z -]+?)\s+(?P<type>Individual|Group)?\s*"
        r"(?P<unit>15 minutes|One Hour|One Day|Per mile|Per pass)\s+"
        r"(?P<price>\$[\d.]+(?:/mile)?|\*)\s*$"
    )
    for raw in block.splitlines():
        match = pattern.match(raw.strip())
        if match:
            key = (match["name"].strip(), match["type"] or "")
            rows[SUMMARY_ROWS[key]] = (match["unit"], match["price"])
    return rows


def test_the_seed_summary_table_has_all_18_services() -> None:
    assert set(summary_table()) == set(SUMMARY_ROWS.values())
    assert len(load_catalog("missouri_atr2").services) == 18


@pytest.mark.parametrize("code", sorted(SUMMARY_ROWS.values()))
def test_catalog_price_and_unit_match_the_seed_summary_table(code: str) -> None:
    """Seed 000 summary table: each service's unit and price."""
    unit, price = summary_table()[code]
    service = load_catalog("missouri_atr2").service(code)
    assert service.unit == UNITS[unit]
    if price == "*":
        assert service.rate is None  # priced per pass: price + administrative fee
        assert service.passes is not None
    else:
        assert service.rate == Decimal(price.removeprefix("$").removesuffix("/mile"))


def test_public_transport_fees_match_the_seed_footnote() -> None:
    """Seed 000 summary footnote and §16: $5 per monthly, $1 per weekly, none for daily."""
    text = SEED.read_text()
    footnote = text[text.index("* Transportation") :][:300]
    monthly = re.search(r"\+\$(\d+\.\d\d) administrative fee for monthly", footnote)
    weekly = re.search(r"\$(\d+\.\d\d) administrative fee for weekly", footnote)
    assert monthly
    assert weekly
    passes = load_catalog("missouri_atr2").service("TRANSPORT_PUBLIC").passes
    assert passes is not None
    assert passes.fees["monthly"] == Decimal(monthly[1])
    assert passes.fees["weekly"] == Decimal(weekly[1])
    assert passes.fees["daily"] == Decimal("0")
    assert "No administrative fee is allowed for daily passes" in text


SECTIONS = [
    "CARE_COORDINATION",
    "REENTRY_COORDINATION",
    "CHILD_CARE",
    "DROP_IN_CENTER",
    "EMERGENCY_HOUSING",
    "EXTENDED_RESIDENTIAL_SUPPORT",
    "FAMILY_ENGAGEMENT_IND",
    "FAMILY_ENGAGEMENT_GRP",
    "PASTORAL_COUNSELING_IND",
    "PASTORAL_COUNSELING_GRP",
    "RECOVERY_MENTORING_IND",
    "RECOVERY_MENTORING_GRP",
    "SPIRITUAL_LIFE_SKILLS_IND",
    "SPIRITUAL_LIFE_SKILLS_GRP",
    "TRANSPORT_MILEAGE",
    "TRANSPORT_PUBLIC",
    "WORK_PREP_IND",
    "WORK_PREP_GRP",
]


def test_numbered_descriptions_state_the_same_fixed_prices() -> None:
    """Seed 000 §1-§18: the "Fixed Price" of each numbered description equals the catalog."""
    text = " ".join(SEED.read_text().split())
    found = dict(
        re.findall(
            r"(?<![\d.])(\d{1,2})\. [^$]*?Unit of Service:.*?Price: (\$[\d.]+|As prescribed)", text
        )
    )
    catalog = load_catalog("missouri_atr2")
    for number, code in enumerate(SECTIONS, start=1):
        price = found[str(number)]
        expected = None if price == "As prescribed" else Decimal(price.removeprefix("$"))
        assert catalog.rate_of(code) == expected, code
