"""Every GPRA item rule of seed 003 App. C §5a, table-driven: schema ranges and
categories (pydantic) and the cross-item skip logic (``domain.gpra``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.api.clients import GpraInterview
from services.eligibility.domain.gpra import interview_problems, is_complete

ON = date(2026, 9, 1)


def complete(kind: str = "intake", **changes: Any) -> dict[str, Any]:
    """A complete, consistent interview body; ``changes`` replace items per domain."""
    body: dict[str, Any] = {
        "kind": kind,
        "conducted_on": ON.isoformat(),
        "alcohol_drug_use": {
            "any_alcohol": 4,
            "alcohol_intoxication_5_plus": 2,
            "illegal_drugs": 3,
            "cocaine_crack": 3,
        },
        "employment_education": {"employment": "unemployed", "education": "not_enrolled"},
        "crime_criminal_justice": {"arrests": 1, "drug_alcohol_arrests": 1, "nights_in_jail": 2},
        "family_living_conditions": {"living": "homeless", "has_children": False},
        "social_support": {
            "self_help_groups": True,
            "faith_recovery_groups": False,
            "other_recovery_organisations": False,
            "supportive_family_friends": True,
        },
    }
    if kind in ("follow_up", "discharge"):
        body["retention"] = {"sessions": {"recovery_coaching": 4}}
    if kind == "discharge":
        body["retention"] |= {
            "last_service_date": "2026-08-30",
            "discharge_date": "2026-08-31",
            "discharge_reason": "treatment_completed",
        }
    for domain, items in changes.items():
        if items is None:
            body.pop(domain, None)
        elif isinstance(items, dict) and isinstance(body.get(domain), dict):
            body[domain] = {**body[domain], **items}
        else:
            body[domain] = items
    return body


def problems_of(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p.code, p.item) for p in interview_problems(GpraInterview.model_validate(body))}


@pytest.mark.parametrize("kind", ["intake", "follow_up", "discharge", "post_exit"])
def test_complete_interviews_pass(kind: str) -> None:
    interview = GpraInterview.model_validate(complete(kind))
    assert interview_problems(interview) == []
    assert is_complete(interview)


@pytest.mark.parametrize(
    ("domain", "items"),
    [
        ("alcohol_drug_use", {"any_alcohol": 31}),  # days in past 30: 0-30
        ("alcohol_drug_use", {"any_alcohol": -1}),
        ("alcohol_drug_use", {"heroin_opiates": 31}),
        ("crime_criminal_justice", {"nights_in_jail": 31}),
        ("crime_criminal_justice", {"arrests": -1}),
        ("employment_education", {"employment": "self_employed"}),  # listed categories only
        ("employment_education", {"not_in_labor_force_status": "sabbatical"}),
        ("employment_education", {"education": "enrolled"}),
        ("family_living_conditions", {"living": "with_friends"}),
        ("family_living_conditions", {"has_children": True, "children": 0}),
        ("retention", {"sessions": {"astrology": 2}}),
        ("retention", {"sessions": {"case_management": 100}}),
        ("retention", {"discharge_reason": "moved"}),
        ("alcohol_drug_use", {"tobacco": 3}),  # unknown items rejected
    ],
)
def test_schema_rejects_out_of_range_and_unlisted_answers(
    domain: str, items: dict[str, Any]
) -> None:
    body = complete("discharge", **{domain: items})
    with pytest.raises(ValidationError):
        GpraInterview.model_validate(body)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Domain 1: intoxication days need alcohol days; drug days need illegal-drug days
        (
            {"alcohol_drug_use": {"any_alcohol": 0, "alcohol_intoxication_5_plus": 2}},
            {("NO_ALCOHOL_BUT_INTOXICATION", "alcohol_drug_use.alcohol_intoxication_5_plus")},
        ),
        (
            {"alcohol_drug_use": {"alcohol_intoxication_4_or_fewer": 5}},
            {("EXCEEDS_ANY_ALCOHOL", "alcohol_drug_use.alcohol_intoxication_4_or_fewer")},
        ),
        (
            {"alcohol_drug_use": {"illegal_drugs": 0}},
            {("NO_DRUG_USE_BUT_DRUG_DAYS", "alcohol_drug_use.cocaine_crack")},
        ),
        (
            {"alcohol_drug_use": {"ketamine": 4}},
            {("EXCEEDS_ILLEGAL_DRUGS", "alcohol_drug_use.ketamine")},
        ),
        # no use: days-of-use items absent or 0 are fine
        (
            {
                "alcohol_drug_use": {
                    "any_alcohol": 0,
                    "alcohol_intoxication_5_plus": 0,
                    "illegal_drugs": 0,
                    "cocaine_crack": 0,
                }
            },
            set(),
        ),
        # Domain 2: 2.2 only, and always, for those not in the labor force
        (
            {"employment_education": {"employment": "not_in_labor_force"}},
            {("STATUS_REQUIRED", "employment_education.not_in_labor_force_status")},
        ),
        (
            {"employment_education": {"not_in_labor_force_status": "retired"}},
            {("STATUS_NOT_ASKED", "employment_education.not_in_labor_force_status")},
        ),
        (
            {"employment_education": {"education": "other"}},
            {("SPECIFY_REQUIRED", "employment_education.education_other")},
        ),
        (
            {"employment_education": {"education_other": "apprenticeship"}},
            {("SPECIFY_NOT_ASKED", "employment_education.education_other")},
        ),
        (
            {
                "employment_education": {
                    "employment": "not_in_labor_force",
                    "not_in_labor_force_status": "student",
                }
            },
            {("STUDENT_NOT_ENROLLED", "employment_education.education")},
        ),
        (
            {
                "employment_education": {
                    "employment": "not_in_labor_force",
                    "not_in_labor_force_status": "student",
                    "education": "other",
                    "education_other": "GED class",
                }
            },
            set(),
        ),
        # Domain 3: no arrests -> go to item 4; 3.2 within 3.1
        (
            {
                "crime_criminal_justice": {
                    "arrests": 0,
                    "drug_alcohol_arrests": 1,
                    "nights_in_jail": 0,
                }
            },
            {("SKIPPED_AFTER_NO_ARRESTS", "crime_criminal_justice.drug_alcohol_arrests")},
        ),
        (
            {
                "crime_criminal_justice": {
                    "arrests": 0,
                    "drug_alcohol_arrests": None,
                    "nights_in_jail": 3,
                }
            },
            {("SKIPPED_AFTER_NO_ARRESTS", "crime_criminal_justice.nights_in_jail")},
        ),
        (
            {"crime_criminal_justice": {"arrests": 2, "drug_alcohol_arrests": 3}},
            {("EXCEEDS_ARRESTS", "crime_criminal_justice.drug_alcohol_arrests")},
        ),
        (
            {
                "crime_criminal_justice": {
                    "arrests": 0,
                    "drug_alcohol_arrests": 0,
                    "nights_in_jail": 0,
                }
            },
            set(),
        ),
        # Domain 4: children skip logic
        (
            {"family_living_conditions": {"children": 2}},
            {("SKIPPED_AFTER_NO_CHILDREN", "family_living_conditions.children")},
        ),
        (
            {"family_living_conditions": {"has_children": True}},
            {
                ("REQUIRED", "family_living_conditions.children"),
                ("REQUIRED", "family_living_conditions.children_under_protection_order"),
            },
        ),
        (
            {
                "family_living_conditions": {
                    "has_children": True,
                    "children": 2,
                    "children_under_protection_order": False,
                    "children_living_elsewhere": 1,
                }
            },
            {("SKIPPED_AFTER_NO_ORDER", "family_living_conditions.children_living_elsewhere")},
        ),
        (
            {
                "family_living_conditions": {
                    "has_children": True,
                    "children": 2,
                    "children_under_protection_order": True,
                }
            },
            {("REQUIRED", "family_living_conditions.children_living_elsewhere")},
        ),
        (
            {
                "family_living_conditions": {
                    "has_children": True,
                    "children": 2,
                    "children_under_protection_order": True,
                    "children_living_elsewhere": 3,
                    "children_parental_rights_lost": 4,
                }
            },
            {
                ("EXCEEDS_CHILDREN", "family_living_conditions.children_living_elsewhere"),
                ("EXCEEDS_CHILDREN", "family_living_conditions.children_parental_rights_lost"),
            },
        ),
        (
            {
                "family_living_conditions": {
                    "has_children": True,
                    "children": 2,
                    "children_under_protection_order": True,
                    "children_living_elsewhere": 1,
                    "children_parental_rights_lost": 1,
                }
            },
            set(),
        ),
        # Domain 7: discharge items only at discharge; dates in order
        (
            {"retention": {"discharge_reason": "death"}},
            {("DISCHARGE_ITEM_NOT_ASKED", "retention.discharge_reason")},
        ),
        (
            {"retention": {"discharge_date": "2026-08-01"}},
            {("DISCHARGE_ITEM_NOT_ASKED", "retention.discharge_date")},
        ),
        (
            {"retention": {"last_service_date": "2026-09-02"}},
            {("AFTER_INTERVIEW", "retention.last_service_date")},
        ),
        # brief interventions report drug/alcohol use only
        (
            {"brief_intervention": True},
            {
                ("NOT_ASKED_IN_BRIEF_INTERVENTION", d)
                for d in (
                    "employment_education",
                    "crime_criminal_justice",
                    "family_living_conditions",
                    "social_support",
                )
            },
        ),
    ],
)
def test_cross_item_rules(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert problems_of(complete("intake", **changes)) == expected


def test_discharge_date_not_before_last_service() -> None:
    body = complete(
        "discharge", retention={"last_service_date": "2026-08-30", "discharge_date": "2026-08-29"}
    )
    assert problems_of(body) == {("BEFORE_LAST_SERVICE", "retention.discharge_date")}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (complete("intake", social_support=None), False),  # domains 1-5 required
        (complete("intake", alcohol_drug_use=None), False),
        (complete("follow_up", retention=None), False),  # retention at follow-up
        (complete("intake", access_capacity=None), True),  # program-level, optional
        (complete("discharge", retention={"discharge_reason": None}), False),  # 7.2 2.c
        (
            {
                "kind": "intake",
                "conducted_on": "2026-09-01",
                "brief_intervention": True,
                "alcohol_drug_use": {"any_alcohol": 0, "illegal_drugs": 0},
            },
            True,
        ),
        ({"kind": "intake", "conducted_on": "2026-09-01", "brief_intervention": True}, False),
    ],
)
def test_completeness(body: dict[str, Any], expected: bool) -> None:
    assert is_complete(GpraInterview.model_validate(body)) is expected
