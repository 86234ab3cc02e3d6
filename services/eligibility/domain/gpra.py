"""GPRA interview rules (seed 003 App. C §5a, seven domains): item-by-item consistency
and skip logic beyond what the schema checks, and completeness.

Ranges (0-30 days, listed categories only) are enforced by the request models in
``contracts.api.clients``; the cross-item rules are here, each with a code.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.api.clients import (
    AlcoholDrugUse,
    CrimeCriminalJustice,
    EmploymentEducation,
    FamilyLivingConditions,
    GpraInterview,
    Retention,
)

DRUG_ITEMS = (
    "cocaine_crack",
    "marijuana_hashish",
    "heroin_opiates",
    "hallucinogens",
    "methamphetamine_amphetamines",
    "benzodiazepines",
    "barbiturates",
    "ecstasy_club_drugs",
    "ketamine",
    "inhalants",
)
"""Item 1.2 a-j."""


@dataclass(frozen=True)
class GpraProblem:
    """One violated rule: a stable code and the item it concerns (never the answer)."""

    code: str
    item: str


def _positive(value: int | None) -> bool:
    return value is not None and value > 0


def alcohol_drug_problems(use: AlcoholDrugUse) -> list[GpraProblem]:
    """Domain 1 (App. C §5a item 1): intoxication days (1.1 b1, b2) cannot exceed days of
    any alcohol (1.1 a), so no alcohol means none of them; days of a single drug (1.2)
    cannot exceed days of illegal drugs (1.1 c), so no illegal drug use means 1.2 is
    absent or 0."""
    problems = []
    for item in ("alcohol_intoxication_5_plus", "alcohol_intoxication_4_or_fewer"):
        days = getattr(use, item)
        if days is not None and days > use.any_alcohol:
            code = "NO_ALCOHOL_BUT_INTOXICATION" if use.any_alcohol == 0 else "EXCEEDS_ANY_ALCOHOL"
            problems.append(GpraProblem(code, f"alcohol_drug_use.{item}"))
    for item in DRUG_ITEMS:
        days = getattr(use, item)
        if days is not None and days > use.illegal_drugs:
            code = (
                "NO_DRUG_USE_BUT_DRUG_DAYS" if use.illegal_drugs == 0 else "EXCEEDS_ILLEGAL_DRUGS"
            )
            problems.append(GpraProblem(code, f"alcohol_drug_use.{item}"))
    return problems


def employment_problems(answers: EmploymentEducation) -> list[GpraProblem]:
    """Domain 2 (App. C §5a items 2.1-2.3): item 2.2 is asked only of clients not in the
    labor force and then must be answered; "Other (specify)" in 2.3 needs the
    specification and nothing else takes one; a student (2.2) is enrolled (2.3)."""
    problems = []
    status = answers.not_in_labor_force_status
    if answers.employment == "not_in_labor_force" and status is None:
        problems.append(
            GpraProblem("STATUS_REQUIRED", "employment_education.not_in_labor_force_status")
        )
    if answers.employment != "not_in_labor_force" and status is not None:
        problems.append(
            GpraProblem("STATUS_NOT_ASKED", "employment_education.not_in_labor_force_status")
        )
    if answers.education == "other" and not answers.education_other:
        problems.append(GpraProblem("SPECIFY_REQUIRED", "employment_education.education_other"))
    if answers.education != "other" and answers.education_other is not None:
        problems.append(GpraProblem("SPECIFY_NOT_ASKED", "employment_education.education_other"))
    if status == "student" and answers.education == "not_enrolled":
        problems.append(GpraProblem("STUDENT_NOT_ENROLLED", "employment_education.education"))
    return problems


def crime_problems(answers: CrimeCriminalJustice) -> list[GpraProblem]:
    """Domain 3 (App. C §5a items 3.1-3.3): "If no arrests, go to item 4" — with no
    arrests 3.2 and 3.3 are absent (or 0); drug/alcohol arrests (3.2) are a subset of
    all arrests (3.1)."""
    problems = []
    if answers.arrests == 0:
        for item in ("drug_alcohol_arrests", "nights_in_jail"):
            if _positive(getattr(answers, item)):
                problems.append(
                    GpraProblem("SKIPPED_AFTER_NO_ARRESTS", f"crime_criminal_justice.{item}")
                )
        return problems
    if answers.drug_alcohol_arrests is not None and answers.drug_alcohol_arrests > answers.arrests:
        problems.append(
            GpraProblem("EXCEEDS_ARRESTS", "crime_criminal_justice.drug_alcohol_arrests")
        )
    return problems


def family_problems(answers: FamilyLivingConditions) -> list[GpraProblem]:
    """Domain 4 (App. C §5a item 4.2, 2.a-2.d): no children skips to section 5; with
    children 2.a and 2.b are answered; a "No" to 2.b skips to section 5; with a
    protection order 2.c is answered; 2.c and 2.d never exceed the number of children."""
    problems = []
    prefix = "family_living_conditions."
    follow_ups = (
        "children",
        "children_under_protection_order",
        "children_living_elsewhere",
        "children_parental_rights_lost",
    )
    if not answers.has_children:
        for item in follow_ups:
            value = getattr(answers, item)
            if value is not None and value is not False and value != 0:
                problems.append(GpraProblem("SKIPPED_AFTER_NO_CHILDREN", prefix + item))
        return problems
    if answers.children is None:
        problems.append(GpraProblem("REQUIRED", prefix + "children"))
    if answers.children_under_protection_order is None:
        problems.append(GpraProblem("REQUIRED", prefix + "children_under_protection_order"))
    if not answers.children_under_protection_order:
        for item in ("children_living_elsewhere", "children_parental_rights_lost"):
            if _positive(getattr(answers, item)):
                problems.append(GpraProblem("SKIPPED_AFTER_NO_ORDER", prefix + item))
        return problems
    if answers.children_living_elsewhere is None:
        problems.append(GpraProblem("REQUIRED", prefix + "children_living_elsewhere"))
    for item in ("children_living_elsewhere", "children_parental_rights_lost"):
        value = getattr(answers, item)
        if value is not None and answers.children is not None and value > answers.children:
            problems.append(GpraProblem("EXCEEDS_CHILDREN", prefix + item))
    return problems


def retention_problems(interview: GpraInterview, retention: Retention) -> list[GpraProblem]:
    """Domain 7 (App. C §5a item 7.2): the discharge date (2.b) and reason (2.c) belong to
    the discharge interview only; the discharge date is on or after the last service
    (2.a "may be the same"); the last service is not after the interview."""
    problems = []
    prefix = "retention."
    if interview.kind != "discharge":
        for item in ("discharge_date", "discharge_reason"):
            if getattr(retention, item) is not None:
                problems.append(GpraProblem("DISCHARGE_ITEM_NOT_ASKED", prefix + item))
    last, discharged = retention.last_service_date, retention.discharge_date
    if last is not None and last > interview.conducted_on:
        problems.append(GpraProblem("AFTER_INTERVIEW", prefix + "last_service_date"))
    if last is not None and discharged is not None and discharged < last:
        problems.append(GpraProblem("BEFORE_LAST_SERVICE", prefix + "discharge_date"))
    return problems


def interview_problems(interview: GpraInterview) -> list[GpraProblem]:
    """Every cross-item rule of the seven domains (seed 003 App. C §5a) for one interview.

    Brief interventions report drug/alcohol use only (App. C note 1) and the retention
    domain does not apply to them (note 4), so their other domains must be absent.
    """
    problems: list[GpraProblem] = []
    if interview.alcohol_drug_use is not None:
        problems += alcohol_drug_problems(interview.alcohol_drug_use)
    if interview.employment_education is not None:
        problems += employment_problems(interview.employment_education)
    if interview.crime_criminal_justice is not None:
        problems += crime_problems(interview.crime_criminal_justice)
    if interview.family_living_conditions is not None:
        problems += family_problems(interview.family_living_conditions)
    if interview.retention is not None:
        problems += retention_problems(interview, interview.retention)
    if interview.brief_intervention:
        for item in (*_OUTCOME_DOMAINS[1:], "retention"):
            if getattr(interview, item) is not None:
                problems.append(GpraProblem("NOT_ASKED_IN_BRIEF_INTERVENTION", item))
    return problems


_OUTCOME_DOMAINS = (
    "alcohol_drug_use",
    "employment_education",
    "crime_criminal_justice",
    "family_living_conditions",
    "social_support",
)


def is_complete(interview: GpraInterview) -> bool:
    """Every required domain answered (seed 003 App. C §5a notes 1 and 4).

    Domains 1-5 at entry, every two months, exit and post-exit, plus retention (7) at
    follow-up and discharge, and at discharge the length-of-stay items 7.2 2.a-2.c.
    A brief intervention needs drug/alcohol use only. Access/capacity (6) is program
    level and is derived by reporting from voucher and provider events, so it is optional.
    """
    if interview.brief_intervention:
        return interview.alcohol_drug_use is not None
    if any(getattr(interview, domain) is None for domain in _OUTCOME_DOMAINS):
        return False
    if interview.kind in ("follow_up", "discharge") and interview.retention is None:
        return False
    if interview.kind == "discharge":
        retention = interview.retention
        assert retention is not None
        return None not in (
            retention.last_service_date,
            retention.discharge_date,
            retention.discharge_reason,
        )
    return True
