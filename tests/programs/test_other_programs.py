"""Illinois ATR-III (seed 001), Idaho case management (seed 002), Missouri community
support (seed 004), and the catalog format itself."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from programs.catalog import Catalog
from programs.loader import UnknownProgramError, load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import StaffRecord
from tests.programs.builders import DAY, history, line, run

IL = load_catalog(
    "illinois_atr3",
    {
        code: Decimal("20.00")
        for code in (
            "PASTORAL_COUNSELING",
            "RECOVERY_COACHING",
            "RECOVERY_SKILLS",
            "SPIRITUAL_SUPPORT",
            "RECOVERY_HOME",
            "TRANSPORTATION",
            "VOCATIONAL_TRAINING",
            "EMPLOYMENT_COACHING",
        )
    },
)
ID = load_catalog("idaho_case_management", {"CASE_MANAGEMENT": Decimal("12.00")})
CS = load_catalog("missouri_community_support", {"COMMUNITY_SUPPORT": Decimal("9.00")})
MINISTER = StaffRecord("S1", frozenset({"ordained_minister"}))


def test_active_program_is_chosen_by_name_and_unknown_names_are_refused() -> None:
    """SPEC §3.4: catalogs are selected by configuration."""
    assert load_catalog("missouri_atr2").program == "missouri_atr2"
    with pytest.raises(UnknownProgramError, match="missouri_atr2"):
        load_catalog("atlantis")


def test_illinois_prices_come_from_configuration() -> None:
    """Seed 001 gives no prices: the state sets them; unpriced services have none."""
    bare = load_catalog("illinois_atr3")
    assert bare.rate_of("RECOVERY_COACHING") is None
    assert not bare.is_priced("RECOVERY_COACHING")
    assert IL.rate_of("RECOVERY_COACHING") == Decimal("20.00")
    assert evaluate(bare, line("RECOVERY_COACHING", 1), history()).reasons == ("NOT_BILLABLE",)
    with pytest.raises(ValueError, match="fixed price"):
        load_catalog("missouri_atr2", {"CHILD_CARE": Decimal("9")})
    with pytest.raises(ValueError, match="does not have"):
        load_catalog("illinois_atr3", {"CHILD_CARE": Decimal("9")})


def test_every_rule_must_cite_its_source() -> None:
    """SPEC §3.4: each rule cites its seed section; the model refuses one that does not."""
    raw = load_catalog("missouri_atr2").model_dump()
    raw["services"]["CHILD_CARE"]["documentation_source"] = None
    with pytest.raises(ValidationError, match="citation"):
        Catalog.model_validate(raw)
    raw = load_catalog("missouri_atr2").model_dump()
    raw["services"]["CHILD_CARE"]["limits"][0]["source"] = ""
    with pytest.raises(ValidationError):
        Catalog.model_validate(raw)


@pytest.mark.parametrize("code", ["PASTORAL_COUNSELING", "RECOVERY_COACHING"])
def test_illinois_individual_only_services(code: str) -> None:
    """Seed 001: pastoral counseling individual setting; recovery coaching one-on-one."""
    assert evaluate(IL, line(code, 1), history(staff=MINISTER)).outcome == "approved"
    assert evaluate(IL, line(code, 1, group_size=4), history(staff=MINISTER)).reasons == (
        "GROUP_SIZE",
    )


@pytest.mark.parametrize("code", ["RECOVERY_SKILLS", "SPIRITUAL_SUPPORT"])
def test_illinois_group_only_services(code: str) -> None:
    """Seed 001: recovery skills and spiritual support are group-oriented sessions."""
    assert evaluate(IL, line(code, 1, group_size=6), history()).outcome == "approved"
    assert evaluate(IL, line(code, 1), history()).reasons == ("GROUP_SIZE",)


def test_illinois_pastoral_counseling_by_clergy() -> None:
    """Seed 001 Pastoral Counseling: performed by a pastor, minister, rabbi, imam."""
    assert evaluate(
        IL, line("PASTORAL_COUNSELING", 1), history(staff=StaffRecord("S9"))
    ).reasons == ("STAFF_NOT_QUALIFIED",)


@pytest.mark.parametrize(
    ("code", "attribute"),
    [
        ("RECOVERY_HOME", "national_guard_referral"),
    ],
)
def test_illinois_referral_and_preauthorisation_conditions(code: str, attribute: str) -> None:
    """Seed 001: recovery home for National Guard referrals only (transportation's
    per-trip pre-authorisation and the vocational-training plan, the provider program's:
    tests/programs/test_illinois_seed_sections.py)."""
    assert evaluate(IL, line(code, 1), history()).reasons == ("CLIENT_NOT_ELIGIBLE",)
    granted = history(attributes=frozenset({attribute}))
    assert evaluate(IL, line(code, 1), granted).outcome == "approved"


def test_illinois_services_are_face_to_face() -> None:
    """Seed 001 Definition of Services: services are delivered face-to-face."""
    assert evaluate(IL, line("RECOVERY_COACHING", 1, face_to_face=False), history()).reasons == (
        "DOCUMENTATION_MISSING",
    )


@pytest.mark.parametrize(
    "activity",
    [
        "record_review",
        "documentation_preparation",
        "utilization_review_request",
        "medication_administration",
        "specimen_collection",
        "transport_to_program",
        "transport_to_appointments",
        "routine_home_visit",
        "staff_meeting",
        "counseling_discussion",
    ],
)
def test_community_support_non_billable_activities(activity: str) -> None:
    """Seed 004 (B)1-10: these are not a community support unit of service."""
    assert evaluate(CS, line("COMMUNITY_SUPPORT", 1, activity=activity), history()).reasons == (
        "NOT_BILLABLE",
    )


def test_community_support_billable_activity_and_activity_required() -> None:
    """Seed 004 (A): key service functions are billable; a line names its activity."""
    ok = evaluate(CS, line("COMMUNITY_SUPPORT", 2, activity="crisis_coordination"), history())
    assert (ok.outcome, ok.allowed_amount) == ("approved", Decimal("18.00"))
    assert evaluate(CS, line("COMMUNITY_SUPPORT", 2), history()).reasons == (
        "DOCUMENTATION_MISSING",
    )


def test_community_support_initial_discharge_planning_four_units() -> None:
    """Seed 004 (A)1/(A)9: the CSW may bill a maximum of four units for this activity."""
    claims = [
        line("COMMUNITY_SUPPORT", 3, DAY, activity="initial_discharge_planning"),
        line(
            "COMMUNITY_SUPPORT", 3, DAY + timedelta(days=2), activity="initial_discharge_planning"
        ),
        line("COMMUNITY_SUPPORT", 3, DAY + timedelta(days=2), activity="crisis_coordination"),
    ]
    results = run(CS, claims, history())
    assert [d.allowed_units for _, d in results] == [3, 1, 3]
    assert results[1][1].reasons == ("EPISODE_LIMIT",)


def test_community_support_one_unit_per_team_meeting() -> None:
    """Seed 004 (A)2: no more than one unit of community support per client per meeting."""
    one = evaluate(CS, line("COMMUNITY_SUPPORT", 1, activity="plan_review_meeting"), history())
    assert one.outcome == "approved"
    two = evaluate(CS, line("COMMUNITY_SUPPORT", 2, activity="plan_review_meeting"), history())
    assert (two.allowed_units, two.outcome) == (1, "partially_approved")
