"""The outcome indicators GpraRecorded carries (SPEC §3.6; seed 003 App. C §5a): each
derived from the interview's answers by its App. C item, and no PHI on the event."""

from __future__ import annotations

import json
from datetime import date

from contracts.api.clients import GpraInterview
from contracts.clients import GpraOutcomes, GpraRecordedData, RetentionSessions
from services.eligibility.service_layer import outcomes
from services.eligibility.service_layer.outcomes import gpra_outcomes
from tests.eligibility.test_gpra_rules import complete
from tests.eligibility.test_use_cases import PROVIDER_A, TODAY, Service, enrol, service
from tests.phi_fixtures import ALICE, phi_strings

__all__ = ["service"]  # the eligibility database fixture, on SQLite and PostgreSQL


def derived(**changes: object) -> GpraOutcomes:
    return gpra_outcomes(GpraInterview.model_validate(complete("intake", **changes)))


def test_abstinent_means_no_alcohol_and_no_illegal_drugs_items_1_1_a_and_c() -> None:
    assert derived().abstinent is False  # 4 days of alcohol, 3 of drugs
    sober = {"any_alcohol": 0, "alcohol_intoxication_5_plus": 0, "illegal_drugs": 0}
    assert derived(alcohol_drug_use={**sober, "cocaine_crack": 0}).abstinent is True
    drinks = {**sober, "any_alcohol": 1, "cocaine_crack": 0}
    assert derived(alcohol_drug_use=drinks).abstinent is False
    uses = {**sober, "illegal_drugs": 2, "cocaine_crack": 0}
    assert derived(alcohol_drug_use=uses).abstinent is False
    outcome = derived(alcohol_drug_use=uses)
    assert (outcome.alcohol_days, outcome.illegal_drug_days) == (0, 2)


def test_employed_or_in_school_items_2_1_and_2_3() -> None:
    assert derived().employed_or_in_school is False  # unemployed, not enrolled
    for employment in ("full_time", "part_time"):
        work = {"employment": employment, "education": "not_enrolled"}
        assert derived(employment_education=work).employed_or_in_school is True
    for education in ("enrolled_full_time", "enrolled_part_time"):
        school = {"employment": "unemployed", "education": education}
        assert derived(employment_education=school).employed_or_in_school is True
    other = {"employment": "unemployed", "education": "other", "education_other": "GED prep"}
    assert derived(employment_education=other).employed_or_in_school is False


def test_no_arrests_item_3_1_and_housed_item_4_1() -> None:
    assert derived().no_arrests is False
    assert derived(crime_criminal_justice={"arrests": 0}).no_arrests is True
    assert derived().housed is False  # homeless
    for living in ("dependent_living", "independent_living"):
        assert derived(family_living_conditions={"living": living}).housed is True


def test_social_support_is_any_of_items_5_1_to_5_4() -> None:
    none = {
        "self_help_groups": False,
        "faith_recovery_groups": False,
        "other_recovery_organisations": False,
        "supportive_family_friends": False,
    }
    assert derived(social_support=none).social_support is False
    for item in none:
        assert derived(social_support={**none, item: True}).social_support is True


def test_an_unanswered_domain_gives_no_indicator() -> None:
    outcome = derived(
        alcohol_drug_use=None,
        employment_education=None,
        crime_criminal_justice=None,
        family_living_conditions=None,
        social_support=None,
    )
    assert outcome == GpraOutcomes()


def test_retention_items_7_1_and_7_2() -> None:
    outcome = gpra_outcomes(GpraInterview.model_validate(complete("discharge")))
    assert outcome.sessions == [RetentionSessions(category="recovery_coaching", sessions=4)]
    assert outcome.last_service_on == date(2026, 8, 30)
    assert outcome.discharged_on == date(2026, 8, 31)


async def test_the_event_carries_the_outcomes_and_no_phi(service: Service) -> None:
    client_id = (await enrol(service, ALICE)).client_id
    body = complete(
        "discharge",
        alcohol_drug_use={
            "any_alcohol": 0,
            "alcohol_intoxication_5_plus": 0,
            "illegal_drugs": 0,
            "cocaine_crack": 0,
        },
        employment_education={"employment": "part_time"},
        crime_criminal_justice={"arrests": 0, "drug_alcohol_arrests": None, "nights_in_jail": None},
        family_living_conditions={"living": "independent_living"},
    )
    async with service.uow() as uow:
        answer = await outcomes.record_gpra(
            uow, client_id, GpraInterview.model_validate(body), PROVIDER_A, TODAY
        )
        await uow.commit()
    data = GpraRecordedData(**answer)
    assert data.outcomes == GpraOutcomes(
        abstinent=True,
        alcohol_days=0,
        illegal_drug_days=0,
        employed_or_in_school=True,
        no_arrests=True,
        housed=True,
        social_support=True,
        sessions=[RetentionSessions(category="recovery_coaching", sessions=4)],
        last_service_on=date(2026, 8, 30),
        discharged_on=date(2026, 8, 31),
    )
    text = await service.outbox_text()
    event = next(
        json.loads(line) for line in text.splitlines() if "atr.client.gpra_recorded" in line
    )
    assert event["data"]["outcomes"]["abstinent"] is True
    assert event["data"]["outcomes"]["housed"] is True
    for secret in phi_strings():
        assert secret.casefold() not in text.casefold(), secret
    # only indicators and counts: no name, SSN or birth date field on the outcomes
    assert set(event["data"]["outcomes"]) == set(GpraOutcomes.model_fields)
    assert not {"given_name", "family_name", "ssn", "date_of_birth"} & set(event["data"])
