"""Idaho ATR-I case management (seed 002_f238a1530d051d0f.txt): each rule read as its
source says it.

Each test is named after the seed section it encodes and quotes the seed's words; each
fails if the rule it names were taken out of the catalog or the engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.api.providers import AddStaff
from programs.explain import explain
from programs.loader import load_catalog
from services.claims.adapters.claim_lines import staff_record
from services.claims.domain.checks import held_by_another_provider
from services.claims.domain.engine import evaluate
from services.claims.domain.facts import AuthorisedService, Voucher
from services.claims.domain.model import ClientHistory, StaffRecord
from services.eligibility.domain.identity import turns_18_in
from tests.programs.builders import DAY, history, line

ID = load_catalog("idaho_case_management", {"CASE_MANAGEMENT": Decimal("12.00")})
POPULATION = "substance_use_disorders"
CURRENT = MappingProxyType({c: DAY + timedelta(days=30) for c in ("ISAS", "CADC", "CPS")})


def staff(*credentials: str, **extra: Any) -> StaffRecord:
    """A staff member whose certifications are current on :data:`DAY` unless overridden."""
    held = frozenset(credentials)
    expiry = extra.pop("credential_expiry", {c: d for c, d in CURRENT.items() if c in held})
    experience = extra.pop("experience", {})
    return StaffRecord(
        "S",
        held,
        credential_expiry=MappingProxyType(expiry),
        experience=MappingProxyType(experience),
        **extra,
    )


def decide(member: StaffRecord | None, base: ClientHistory | None = None, **extra: Any) -> Any:
    """The decision on a two-unit case management line delivered by ``member``."""
    client = replace(base, staff=member) if base is not None else history(staff=member)
    return evaluate(ID, line("CASE_MANAGEMENT", 2, **extra), client)


@pytest.mark.parametrize(
    ("member", "ok"),
    [
        (staff("ISAS"), True),
        (staff("CADC"), True),
        (staff("CPS"), True),
        (staff("bachelors_human_services", experience={POPULATION: 12}), True),
        (staff("bachelors_human_services", experience={POPULATION: 6}), False),
        (staff("bachelors_human_services", experience={POPULATION: 6}, supervised=True), True),
        (staff("LPC", experience={POPULATION: 12}), True),
        (staff("LCPC", experience={POPULATION: 3}), False),
        (staff("LCPC", experience={POPULATION: 3}, supervised=True), True),
        (staff("licensed_pastoral_counselor", "core_competencies_clergy_training"), True),
        (staff("licensed_pastoral_counselor"), False),
        (staff(experience={"CASE_MANAGEMENT": 24}), True),
        (staff(experience={"CASE_MANAGEMENT": 23}), False),
        (None, False),
    ],
)
def test_seed_002_qualifications_3_a_to_e_one_alternative_qualifies(
    member: StaffRecord | None, ok: bool
) -> None:
    """Seed 002 RSS Case Manager Qualifications §3 "All case managers must meet at least
    one of the following qualifications": a. ISAS, CADC or CPS; b. "a B.A. or B.S. *and*
    at least twelve (12) months experience with the target population" (or "twelve
    months under the supervision of a fully-qualified case manager"); c. LCPC or LPC
    likewise; d. a licensed pastoral counselor with the "Core Competencies for Clergy"
    training; e. "no less than two years of providing the recovery support service"."""
    decision = decide(member)
    assert decision.outcome == ("approved" if ok else "denied")
    if not ok:
        assert decision.reasons == ("STAFF_NOT_QUALIFIED",)


@pytest.mark.parametrize("credential", ["ISAS", "CADC", "CPS"])
def test_seed_002_qualifications_3a_current_certification(credential: str) -> None:
    """Seed 002 Qualifications §3a: "An ISAS, CADC or CPS must have current
    certification with the Idaho Board of Alcohol/Drug Counselor's Certification, Inc.
    (IBADCC)": a certification current through the service date qualifies; one that
    expired the day before, or one whose currency is not on record, does not."""
    assert decide(staff(credential, credential_expiry={credential: DAY})).outcome == "approved"
    expired = staff(credential, credential_expiry={credential: DAY - timedelta(days=1)})
    assert decide(expired).reasons == ("STAFF_NOT_QUALIFIED",)
    assert decide(staff(credential, credential_expiry={})).reasons == ("STAFF_NOT_QUALIFIED",)


def test_seed_002_qualifications_3a_currency_is_judged_on_the_service_date() -> None:
    """Seed 002 Qualifications §3a "must have current certification": the service
    date decides, not the day the claim is decided — a line dated while the
    certification was current is paid after it lapsed; one dated after is not."""
    lapsed_after_day = staff("CADC", credential_expiry={"CADC": DAY})
    assert decide(lapsed_after_day).outcome == "approved"
    later = evaluate(
        ID,
        line("CASE_MANAGEMENT", 2, day=DAY + timedelta(days=1)),
        history(staff=lapsed_after_day),
    )
    assert later.reasons == ("STAFF_NOT_QUALIFIED",)


def test_seed_002_qualifications_3c_an_expired_licence_does_not_qualify() -> None:
    """Seed 002 Qualifications §3c "A LCPC or LPC must be licensed in accordance with
    Title 54, Chapter 34, Idaho Code": a licence whose recorded expiry has passed by the
    service date is no licence; one without a recorded expiry counts as held."""
    experienced = {POPULATION: 12}
    assert decide(staff("LPC", experience=experienced)).outcome == "approved"
    lapsed = staff(
        "LPC", experience=experienced, credential_expiry={"LPC": DAY - timedelta(days=1)}
    )
    assert decide(lapsed).reasons == ("STAFF_NOT_QUALIFIED",)


def test_seed_002_qualifications_3b_experience_with_the_target_population() -> None:
    """Seed 002 Qualifications §3b "at least twelve (12) months experience with the
    target population": twelve months with the clients of Recovery Support Services
    qualify; twelve months counted in some other field (untied to a population, or in
    another service) do not."""
    assert ID.service("CASE_MANAGEMENT").qualification.target_population == POPULATION  # type: ignore[union-attr]
    assert decide(staff("bachelors_human_services", experience={POPULATION: 12})).outcome == (
        "approved"
    )
    untied = staff("bachelors_human_services", months_experience=60)
    assert decide(untied).reasons == ("STAFF_NOT_QUALIFIED",)
    elsewhere = staff("bachelors_human_services", experience={"youth_sports": 60})
    assert decide(elsewhere).reasons == ("STAFF_NOT_QUALIFIED",)


def test_seed_002_qualifications_3e_experience_providing_the_service() -> None:
    """Seed 002 Qualifications §3e "Experience is defined as no less than two years of
    providing the recovery support service the individual wishes to deliver" (and
    Applicable Standards §2c "the related recovery support service the personnel are
    working within"): two years providing case management qualify for case
    management; two years of another service, or with the population, do not."""
    assert decide(staff(experience={"CASE_MANAGEMENT": 24})).outcome == "approved"
    for other in ({"RECOVERY_COACHING": 48}, {POPULATION: 48}):
        assert decide(staff(experience=other)).reasons == ("STAFF_NOT_QUALIFIED",)
    assert decide(staff(months_experience=48)).reasons == ("STAFF_NOT_QUALIFIED",)


@pytest.mark.parametrize(
    ("checked_on", "outcome", "ok"),
    [
        (DAY - timedelta(days=9), "passed", True),
        (DAY, "passed", True),
        (DAY + timedelta(days=1), "passed", False),
        (DAY - timedelta(days=9), "failed", False),
        (DAY - timedelta(days=9), "pending", False),
        (DAY - timedelta(days=9), None, False),
        (None, None, False),
    ],
)
def test_seed_002_qualifications_2_background_check_passed_before_serving_a_minor(
    checked_on: date | None, outcome: str | None, ok: bool
) -> None:
    """Seed 002 Qualifications §2 "Any individual delivering case management services
    to children/minors must successfully pass a DHW background check *prior to* the
    delivery of services": a check dated on or before the service date with the outcome
    ``passed``; a check's date alone, a failed or pending check, or a later one, is not
    a pass. An adult client needs none."""
    member = staff("CADC", background_check_date=checked_on, background_check_outcome=outcome)
    minor = decide(member, history(minor=True))
    assert minor.outcome == ("approved" if ok else "denied")
    if not ok:
        assert minor.reasons == ("STAFF_NOT_QUALIFIED",)
    assert decide(member, history(minor=False)).outcome == "approved"


def test_seed_002_qualifications_2_minority_is_judged_on_the_service_date() -> None:
    """Seed 002 Qualifications §2 "delivering case management services to
    children/minors": whether the client is a minor is judged on the service date, not
    fixed at intake. A client who was a minor at intake and turned 18 in an earlier year
    is an adult on the service date (no background check needed); one who turns 18 in
    the service date's year still counts as a minor (the platform publishes the year,
    never the birth date); without the year, the intake's answer stands."""
    unchecked = staff("CADC")
    grown = ClientHistory(staff=unchecked, minor=True, turns_18_in=DAY.year - 1)
    assert grown.minor_on(DAY) is False
    assert decide(unchecked, history(minor=True)).reasons == ("STAFF_NOT_QUALIFIED",)
    assert decide(unchecked, replace(history(minor=True), turns_18_in=DAY.year - 1)).outcome == (
        "approved"
    )
    this_year = replace(history(minor=True), turns_18_in=DAY.year)
    assert decide(unchecked, this_year).reasons == ("STAFF_NOT_QUALIFIED",)
    earlier = evaluate(
        ID,
        line("CASE_MANAGEMENT", 2, day=date(DAY.year - 1, 12, 31)),
        replace(history(minor=True, staff=unchecked), turns_18_in=DAY.year - 2),
    )
    assert earlier.outcome == "approved"
    adult = replace(history(minor=False), turns_18_in=DAY.year + 3)
    assert adult.minor_on(DAY) is False


def test_seed_002_qualifications_2_the_year_a_minor_turns_18_not_the_birth_date() -> None:
    """Seed 002 Qualifications §2 "children/minors": intake publishes, for a client under
    18 on the intake date, only the year they turn 18 (no birth date leaves the
    eligibility service); for an adult, nothing."""
    assert turns_18_in(date(2010, 3, 14), on=date(2026, 9, 1)) == 2028
    assert turns_18_in(date(2008, 9, 2), on=date(2026, 9, 1)) == 2026
    assert turns_18_in(date(2008, 9, 1), on=date(2026, 9, 1)) is None
    assert turns_18_in(date(1980, 1, 1), on=date(2026, 9, 1)) is None


def test_seed_002_qualifications_the_roster_records_expiry_outcome_and_experience() -> None:
    """Seed 002 Qualifications §2 ("successfully pass"), §3a ("current certification"),
    §3b/§3e (experience "with the target population" / "providing the recovery support
    service"): a roster entry as the registry publishes it carries each, and the claims
    service reads them; an expiry of a credential the staff member does not hold is
    refused."""
    member = AddStaff(
        staff_id="STF-1",
        credentials=["CADC"],
        background_check_date=date(2026, 1, 5),
        background_check_outcome="passed",
        credential_expiry=[{"credential": "CADC", "current_until": date(2027, 6, 30)}],
        experience=[
            {"area": POPULATION, "months": 14},
            {"area": "CASE_MANAGEMENT", "months": 6},
        ],
    )
    record = staff_record(member.model_dump(mode="json"))
    assert record.credential_expiry == {"CADC": date(2027, 6, 30)}
    assert record.experience == {POPULATION: 14, "CASE_MANAGEMENT": 6}
    assert record.passed_background_check(date(2026, 1, 5))
    assert not record.passed_background_check(date(2026, 1, 4))
    assert record.current_credentials(date(2027, 7, 1)) == frozenset()
    with pytest.raises(ValidationError, match="not held"):
        AddStaff(
            staff_id="STF-2",
            credentials=["CPS"],
            credential_expiry=[{"credential": "CADC", "current_until": "2027-06-30"}],
        )
    with pytest.raises(ValidationError):
        AddStaff(staff_id="STF-3", credentials=["CPS"], background_check_outcome="cleared")


def test_seed_002_standards_6a_primary_case_manager_is_a_provider_attestation() -> None:
    """Seed 002 Applicable Standards §6 "When multiple case management providers exist:
    a. A primary RSS Case Manager is identified. b. There is coordination to ... Reduce
    duplication of services": no claim or registry field names a client's case managers,
    so it is a cited provider attestation; two providers holding the client's vouchers
    for case management at once are refused on the claim (``CONCURRENT_PROVIDER``)."""
    attested = [a.requirement for a in ID.service("CASE_MANAGEMENT").attestations]
    assert any("a primary RSS Case Manager is identified" in r for r in attested)
    first = _voucher("V1", "P1", admitted=DAY - timedelta(days=30))
    second = _voucher("V2", "P2", admitted=DAY - timedelta(days=3))
    claim = replace(line("CASE_MANAGEMENT", 2), voucher_id="V2", provider_id="P2")
    assert held_by_another_provider(claim, second, [first, second])


def _voucher(voucher_id: str, provider: str, admitted: date) -> Voucher:
    return Voucher(
        voucher_id=voucher_id,
        client_id="C1",
        status="active",
        valid_from=DAY - timedelta(days=60),
        valid_until=DAY + timedelta(days=300),
        authorised=MappingProxyType({"CASE_MANAGEMENT": AuthorisedService("CASE_MANAGEMENT")}),
        provider_id=provider,
        admitted_on=admitted,
        admission_recorded_at=datetime(admitted.year, admitted.month, admitted.day, 9),
    )


def test_seed_002_every_rule_is_explained_with_its_quote() -> None:
    """Seed 002 throughout: ``atr program explain CASE_MANAGEMENT`` prints each rule with
    the seed's words (the auditor reads the seed beside the decision)."""
    text = explain(ID, "CASE_MANAGEMENT")
    for quote in (
        "current certification",
        "twelve (12) months experience with the target population",
        "two years of providing the recovery support service the individual wishes to deliver",
        "must successfully pass a DHW background check *prior to* the delivery of services",
        "A primary RSS Case Manager is identified",
        "With the consent of the client",
    ):
        assert quote in text
    assert "experience_in: target_population" in text
    assert "current: True" in text
