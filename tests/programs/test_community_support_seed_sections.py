"""Missouri community support, 9 CSR 30-3.110 (seed 004_272baf8fda9674c5.txt): each rule
read as its source says it.

Each test is named after the seed section it encodes and quotes the seed's words; each
fails if the rule it names were taken out of the catalog or the engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from programs.catalog import Service
from programs.explain import explain
from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import ClaimLine
from tests.programs.builders import DAY, history, line, run

CS = load_catalog("missouri_community_support", {"COMMUNITY_SUPPORT": Decimal("9.00")})


def support(units: int = 1, day: date = DAY, **extra: Any) -> ClaimLine:
    """A community support line."""
    return line("COMMUNITY_SUPPORT", units, day, **extra)


def contact(day: date, missed: date | None) -> ClaimLine:
    """A re-engagement contact after the appointment missed on ``missed``."""
    return support(2, day, activity="re_engagement_contact", missed_appointment_on=missed)


@pytest.mark.parametrize(
    ("days_after", "outcome", "reasons"),
    [
        (0, "approved", ()),
        (1, "approved", ()),
        (2, "approved", ()),
        (3, "denied", ("NOT_BILLABLE",)),
        (10, "denied", ("NOT_BILLABLE",)),
        (-1, "denied", ("NOT_BILLABLE",)),
    ],
)
def test_seed_004_a3_re_engagement_initiated_within_48_hours(
    days_after: int, outcome: str, reasons: tuple[str, ...]
) -> None:
    """Seed 004 (A)3 Missed Appointments: "If a client fails to appear at a scheduled
    program activity, staff shall initiate efforts to contact and re-engage the person
    in treatment. Such efforts should be initiated within forty-eight (48) hours": a
    contact dated on the missed appointment's date or the two days after is billable;
    later, with no effort initiated in time, or before the absence, it is not."""
    missed = DAY - timedelta(days=days_after)
    decision = evaluate(CS, contact(DAY, missed), history())
    assert (decision.outcome, decision.reasons) == (outcome, reasons)


def test_seed_004_a3_re_engagement_names_the_missed_appointment() -> None:
    """Seed 004 (A)3 "Contacting clients who have unexcused absence from the program in
    order to re-engage the person": the contact follows a missed appointment, so a line
    that does not name it (``missed_appointment_on``) is not documented."""
    decision = evaluate(CS, contact(DAY, None), history())
    assert (decision.outcome, decision.reasons) == ("denied", ("DOCUMENTATION_MISSING",))


def test_seed_004_a3_efforts_initiated_in_time_continue() -> None:
    """Seed 004 (A)3 "Such efforts should be initiated within forty-eight (48) hours":
    the rule is on when efforts start. A later contact about the same missed
    appointment continues efforts initiated in time and is billable; a late contact
    about another missed appointment, whose efforts never started in time, is not."""
    missed = DAY - timedelta(days=6)
    results = run(
        CS,
        [
            contact(missed + timedelta(days=1), missed),
            contact(DAY, missed),
            contact(DAY, missed - timedelta(days=1)),
        ],
        history(),
    )
    assert [d.outcome for _, d in results] == ["approved", "approved", "denied"]
    assert results[2][1].reasons == ("NOT_BILLABLE",)
    alone = evaluate(CS, contact(DAY, missed), history())
    assert alone.reasons == ("NOT_BILLABLE",)


@pytest.mark.parametrize("activity", ["transport_crisis", "transport_documented_need"])
def test_seed_004_b7_transport_only_for_a_crisis_or_a_documented_need(activity: str) -> None:
    """Seed 004 (B)7 "Transporting clients to appointments or other locations in the
    community, unless the presence of the community support worker is required to
    resolve an immediate crisis or to address a clearly documented need which the
    client has previously demonstrated an inability to resolve on his/her own": the
    exception is billable when the line names the crisis or the documented need
    (``documented_purpose``); without it it is not documented; ordinary transport to
    appointments stays non-billable."""
    ok = evaluate(CS, support(2, activity=activity, documented_purpose="NOTE-17"), history())
    assert (ok.outcome, ok.allowed_amount) == ("approved", Decimal("18.00"))
    bare = evaluate(CS, support(2, activity=activity), history())
    assert bare.reasons == ("DOCUMENTATION_MISSING",)
    routine = evaluate(
        CS,
        support(2, activity="transport_to_appointments", documented_purpose="NOTE-17"),
        history(),
    )
    assert routine.reasons == ("NOT_BILLABLE",)


def test_seed_004_b8_home_visit_only_when_tied_to_the_plan_goals() -> None:
    """Seed 004 (B)8 "Routinely visiting the client in the home, unless such visit(s) is
    clearly and directly related to the rehabilitation plan goals": a home visit naming
    the plan goal it serves is billable; one naming none is not documented; a routine
    visit is never billable."""
    ok = evaluate(
        CS, support(2, activity="home_visit_plan_goal", documented_purpose="GOAL-3"), history()
    )
    assert ok.outcome == "approved"
    assert evaluate(CS, support(2, activity="home_visit_plan_goal"), history()).reasons == (
        "DOCUMENTATION_MISSING",
    )
    routine = evaluate(
        CS, support(2, activity="routine_home_visit", documented_purpose="GOAL-3"), history()
    )
    assert routine.reasons == ("NOT_BILLABLE",)


def test_seed_004_a2_unusual_circumstances_reviewed_lift_the_one_unit_cap() -> None:
    """Seed 004 (A)2 "Unless there are unusual circumstances that are documented in the
    client record, CSWs should bill no more than one unit of Community Support Work per
    client per meeting for this service": without a review the meeting is paid one
    unit; once an administrator or the state reviewed and approved the documented
    unusual circumstances of that service on that date, the whole line passes. A review
    of another date lifts nothing."""
    meeting = support(3, activity="plan_review_meeting")
    plain = evaluate(CS, meeting, history())
    assert (plain.allowed_units, plain.reasons) == (1, ("DAILY_LIMIT",))
    reviewed = replace(history(), reviewed=frozenset({(DAY, "COMMUNITY_SUPPORT")}))
    assert evaluate(CS, meeting, reviewed).outcome == "approved"
    other_day = replace(
        history(), reviewed=frozenset({(DAY - timedelta(days=1), "COMMUNITY_SUPPORT")})
    )
    assert evaluate(CS, meeting, other_day).allowed_units == 1
    discharge = support(6, activity="initial_discharge_planning")
    assert evaluate(CS, discharge, reviewed).allowed_units == 4  # a cap that is not reviewable


def test_seed_004_rules_name_only_billable_activities() -> None:
    """Seed 004 (B): "The following activities shall not be considered a community
    support unit of service": a catalog whose re-engagement or exception rule names an
    activity that is not billable is refused."""
    data = CS.service("COMMUNITY_SUPPORT").model_dump()
    data["re_engagement"]["activity"] = "transport_to_appointments"
    with pytest.raises(ValidationError, match="not billable"):
        Service.model_validate(data)
    data = CS.service("COMMUNITY_SUPPORT").model_dump()
    data["activity_purposes"][0]["source"] = ""
    with pytest.raises(ValidationError):
        Service.model_validate(data)


def test_seed_004_every_rule_is_explained_with_its_quote() -> None:
    """Seed 004 throughout: ``atr program explain COMMUNITY_SUPPORT`` prints each rule
    with the seed's words."""
    text = explain(CS, "COMMUNITY_SUPPORT")
    for quote in (
        "Such efforts should be initiated within forty-eight (48) hours",
        "to resolve an immediate crisis or to address a clearly documented need",
        "clearly and directly related to the rehabilitation plan goals",
        "Unless there are unusual circumstances that are documented in the client record",
        "unless circumstances dictate a more immediate response",
    ):
        assert quote in text
    assert "re_engagement: activity=re_engagement_contact, within_hours=48" in text
    assert "reviewable=True" in text
