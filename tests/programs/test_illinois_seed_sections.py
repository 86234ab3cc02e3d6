"""Illinois ATR-III (seed 001_7181b0cb4d71a6f5.txt, "Definition of Services"): each rule
read as its source says it.

Each test is named after the seed section (the service's heading) it encodes and quotes
the seed's words; each fails if the rule it names were taken out of the catalog or the
engine.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from programs.explain import explain
from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import ClientHistory, StatusPeriod
from tests.programs.builders import DAY, EPISODE, as_prior, history, line, run

IL = load_catalog(
    "illinois_atr3",
    {
        code: Decimal("25.00")
        for code in ("CONTINUING_CARE", "TRANSPORTATION", "VOCATIONAL_TRAINING")
    },
)


def test_seed_001_vocational_training_the_employment_coaching_plan_is_the_programs() -> None:
    """Seed 001 Vocational Training: "All Vocational Training programs must include a
    plan for utilizing Employment Coaching in conjunction with Vocational Training classes
    or have a linkage agreement with an agency that does." The plan belongs to the
    provider's program, not to the client: a client with no recorded attribute is served,
    and the plan is a cited attestation of the service."""
    assert IL.service("VOCATIONAL_TRAINING").requires_attributes == []
    assert evaluate(IL, line("VOCATIONAL_TRAINING", 1), history()).outcome == "approved"
    requirements = [a.requirement for a in IL.service("VOCATIONAL_TRAINING").attestations]
    assert any("plan for utilizing Employment Coaching" in r for r in requirements)
    assert any("curriculum" in r for r in requirements)
    text = explain(IL, "VOCATIONAL_TRAINING")
    assert "All Vocational Training programs must include a plan" in text
    assert "submit a curriculum for their program" in text


def test_seed_001_vocational_training_no_payment_for_prerequisite_training() -> None:
    """Seed 001 Vocational Training: "Please note that ATR will not pay for prerequisite
    training." A line for prerequisite training is not billable; the trade class itself
    (named, or a line naming no activity) is."""
    refused = evaluate(
        IL, line("VOCATIONAL_TRAINING", 1, activity="prerequisite_training"), history()
    )
    assert (refused.outcome, refused.reasons) == ("denied", ("NOT_BILLABLE",))
    named = line("VOCATIONAL_TRAINING", 1, activity="vocational_training")
    assert evaluate(IL, named, history()).outcome == "approved"
    assert "ATR will not pay for prerequisite training" in explain(IL, "VOCATIONAL_TRAINING")


def _statuses(*periods: tuple[str, date]) -> ClientHistory:
    return ClientHistory(
        statuses=tuple(StatusPeriod(status, day) for status, day in periods),
        episode_start=EPISODE[0],
        episode_end=EPISODE[1],
    )


DISCHARGED = DAY - timedelta(days=10)
ADMITTED = DAY - timedelta(days=60)


@pytest.mark.parametrize(
    ("periods", "outcome"),
    [
        # in treatment, then discharged (status none) before the service date
        ((("level_1", ADMITTED), ("none", DISCHARGED)), "approved"),
        ((("level_3", ADMITTED), ("none", DAY)), "approved"),
        # still in primary treatment on the service date, at any level
        ((("level_1", ADMITTED),), "denied"),
        ((("level_1_residential", ADMITTED),), "denied"),
        ((("level_3", ADMITTED),), "denied"),
        # discharged only after the service date: not yet following discharge
        ((("level_1", ADMITTED), ("none", DAY + timedelta(days=1))), "denied"),
        # never recorded in treatment: nothing to follow
        ((), "denied"),
        ((("none", ADMITTED),), "denied"),
        # readmitted after a discharge: in treatment again
        ((("level_2", ADMITTED), ("none", DISCHARGED), ("level_2", DAY)), "denied"),
    ],
)
def test_seed_001_continuing_care_only_following_discharge(
    periods: tuple[tuple[str, date], ...], outcome: str
) -> None:
    """Seed 001 Continuing Care: "Continuing care services are provided following
    discharge, when the client no longer requires services at the intensity required
    during primary treatment." A line is allowed only when, on its service date, the
    client is out of clinical treatment (status ``none``) after a period in it."""
    decision = evaluate(IL, line("CONTINUING_CARE", 1), _statuses(*periods))
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("CLIENT_NOT_ELIGIBLE",)
    assert "provided following discharge" in explain(IL, "CONTINUING_CARE")


def test_seed_001_transportation_preauthorized_per_trip_not_per_client() -> None:
    """Seed 001 Transportation: "Transportation costs must be preauthorized on an
    individual basis." Each trip (line) names its own pre-authorisation
    (``trip_authorization``); a standing client attribute authorises nothing, a line
    without a reference is not authorised, and a reference already used by an allowed
    trip does not authorise a second one."""
    assert IL.service("TRANSPORTATION").requires_attributes == []
    standing = history(attributes=frozenset({"transport_preauthorized"}))
    unauthorised = evaluate(IL, line("TRANSPORTATION", 1), standing)
    assert (unauthorised.outcome, unauthorised.reasons) == ("denied", ("SERVICE_NOT_AUTHORIZED",))
    trips = [
        line("TRANSPORTATION", 1, trip_authorization="PA-1"),
        line("TRANSPORTATION", 1, day=DAY + timedelta(days=1), trip_authorization="PA-1"),
        line("TRANSPORTATION", 1, day=DAY + timedelta(days=1), trip_authorization="PA-2"),
    ]
    decisions = [decision for _, decision in run(IL, trips, history())]
    assert [d.outcome for d in decisions] == ["approved", "denied", "approved"]
    assert decisions[1].reasons == ("SERVICE_NOT_AUTHORIZED",)
    # the same line decided again (a correction) still holds its own authorisation
    again = evaluate(IL, trips[0], history(as_prior(trips[0], decisions[0])))
    assert again.outcome == "approved"
    assert "preauthorized on an individual basis" in explain(IL, "TRANSPORTATION")


@pytest.mark.parametrize(
    ("activity", "outcome"),
    [
        (None, "approved"),
        ("employment_coaching", "approved"),
        ("employment_computer_skills", "approved"),
        ("general_computer_skills", "denied"),
    ],
)
def test_seed_001_employment_coaching_no_computer_lessons_outside_job_seeking(
    activity: str | None, outcome: str
) -> None:
    """Seed 001 Employment Coaching: "ATR does not pay for sessions teaching clients how
    to use a computer, navigate software, or use the internet that are not in the
    specific interest of assisting a client with gaining employment seeking skills."
    Computer skills taught for job seeking are coaching; general ones are not billable."""
    il = load_catalog("illinois_atr3", {"EMPLOYMENT_COACHING": Decimal("20.00")})
    decision = evaluate(il, line("EMPLOYMENT_COACHING", 1, activity=activity), history())
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("NOT_BILLABLE",)
    assert "not in the specific interest of assisting a client" in explain(
        il, "EMPLOYMENT_COACHING"
    )


@pytest.mark.parametrize(
    ("code", "quote"),
    [
        ("RECOVERY_HOME", "authorized by an intervention license issued by the Department"),
        ("CONTINUING_CARE", "delivered by an experienced counselor"),
    ],
)
def test_seed_001_recovery_home_licence_and_continuing_care_counselor_are_attested(
    code: str, quote: str
) -> None:
    """Seed 001 Recovery Home: "Alcohol and drug free housing authorized by an
    intervention license issued by the Department"; Continuing Care: "delivered by an
    experienced counselor who will assist clients in meeting the goals contained in
    their continuing care plans". No claim field shows either: each is a cited
    attestation of the service, printed by ``atr program explain``."""
    assert IL.service(code).attestations
    assert quote in explain(IL, code)
