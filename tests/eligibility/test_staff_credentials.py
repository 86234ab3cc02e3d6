"""Registering staff (``POST /v1/providers/{id}/staff``, seed 002 qualifications): a
credential the active program's catalog does not know is refused with a 422 naming
``credentials.<i>``, so a typo never leaves a staff member silently unqualified; one
the catalog names in a qualification rule is stored."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from contracts.api.providers import AddStaff
from programs.loader import load_catalog
from services.eligibility.domain.errors import (
    EligibilityError,
    UnknownCredentialError,
    UnknownExperienceAreaError,
)
from services.eligibility.service_layer import providers
from tests.eligibility.test_use_cases import Service, service  # noqa: F401 (fixture)

MISSOURI = load_catalog("missouri_atr2")
IDAHO = load_catalog("idaho_case_management")


async def test_an_unknown_credential_is_refused_naming_it(service: Service) -> None:  # noqa: F811
    body = AddStaff(staff_id="STF-1", credentials=["addictions_academy_graduate", "CADC"])
    async with service.uow() as uow:
        with pytest.raises(UnknownCredentialError) as refused:
            await providers.add_staff(uow, "PRV-A", body, MISSOURI)
    assert [p["item"] for p in refused.value.problems] == ["credentials.1"]
    assert "'CADC'" in refused.value.problems[0]["msg"]
    idaho = AddStaff(staff_id="STF-1", credentials=["CADC"])
    async with service.uow() as uow:  # a credential Idaho's rules name
        snapshot = await providers.add_staff(uow, "PRV-A", idaho, IDAHO)
    assert snapshot.staff[0].credentials == ["CADC"]


async def test_known_credentials_are_stored(service: Service) -> None:  # noqa: F811
    body = AddStaff(staff_id="STF-2", credentials=["ordained_minister"], months_experience=3)
    async with service.uow() as uow:
        snapshot = await providers.add_staff(uow, "PRV-A", body, MISSOURI)
        await uow.commit()
    assert [(s.staff_id, s.credentials) for s in snapshot.staff] == [
        ("STF-2", ["ordained_minister"])
    ]


async def test_the_refusal_is_a_422_naming_the_field() -> None:
    from services.eligibility.app import _domain_error

    app = FastAPI()
    app.add_exception_handler(EligibilityError, _domain_error)  # type: ignore[arg-type]

    @app.post("/staff")
    async def add() -> None:
        raise UnknownCredentialError(
            problems=[{"item": "credentials.0", "code": "CREDENTIAL_UNKNOWN", "msg": "'X' no"}]
        )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/staff")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"loc": ["body", "credentials", "0"], "msg": "'X' no", "type": "CREDENTIAL_UNKNOWN"}
    ]


def test_each_catalog_lists_the_credentials_and_activities_it_names() -> None:
    credentials = MISSOURI.credentials()
    assert "addictions_academy_graduate" in credentials
    assert "RECOVERY_MENTORING_IND" in credentials["addictions_academy_graduate"]
    assert "CADC" not in credentials
    assert "CADC" in IDAHO.credentials()
    activities = load_catalog("missouri_community_support").activities()
    assert any(billable for billable, _ in activities.values())
    assert any(not billable for billable, _ in activities.values())


async def test_seed_002_expiry_experience_and_check_outcome_are_stored(
    service: Service,  # noqa: F811
) -> None:
    """Seed 002 Qualifications §2 "must successfully pass a DHW background check", §3a
    "current certification", §3b "experience with the target population": the registry
    keeps each on the roster entry it publishes."""
    body = AddStaff.model_validate(
        {
            "staff_id": "STF-3",
            "credentials": ["CADC"],
            "background_check_date": "2026-01-02",
            "background_check_outcome": "passed",
            "credential_expiry": [{"credential": "CADC", "current_until": "2027-06-30"}],
            "experience": [{"area": "substance_use_disorders", "months": 14}],
        }
    )
    async with service.uow() as uow:
        snapshot = await providers.add_staff(uow, "PRV-A", body, IDAHO)
        await uow.commit()
    member = snapshot.model_dump(mode="json")["staff"][0]
    assert member["background_check_outcome"] == "passed"
    assert member["credential_expiry"] == [{"credential": "CADC", "current_until": "2027-06-30"}]
    assert member["experience"] == [{"area": "substance_use_disorders", "months": 14}]


async def test_seed_002_experience_with_an_unknown_area_is_refused_naming_it(
    service: Service,  # noqa: F811
) -> None:
    """Seed 002 Qualifications §3b "experience with the target population", §3e
    "providing the recovery support service the individual wishes to deliver": months
    recorded with anything else would never count, so they are refused (422 naming
    ``experience.<i>.area``); the target population and the program's services are kept."""
    body = AddStaff.model_validate(
        {
            "staff_id": "STF-4",
            "experience": [
                {"area": "substance_use_disorders", "months": 14},
                {"area": "CASE_MANAGEMENT", "months": 30},
                {"area": "substance_abuse", "months": 3},
            ],
        }
    )
    async with service.uow() as uow:
        with pytest.raises(UnknownExperienceAreaError) as refused:
            await providers.add_staff(uow, "PRV-A", body, IDAHO)
    assert [p["item"] for p in refused.value.problems] == ["experience.2.area"]
    assert IDAHO.experience_areas() == {"CASE_MANAGEMENT", "substance_use_disorders"}
