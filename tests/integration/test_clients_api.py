"""Clients through the real platform: role checks, intake identity matching, the
assessment chain with GPRA, consent-gated disclosure, choice lists and outcome data.

Every person comes from ``tests.phi_fixtures`` so the PHI scan can look for them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.integration.actors import active_voucher
from tests.integration.conftest import RunningPlatform
from tests.phi_fixtures import ALICE, BOB, CAROL, CAROL_NAMESAKE

SERVICE = "RECOVERY_MENTORING_IND"


async def _token(
    gateway: httpx.AsyncClient, platform: RunningPlatform, role: str, **binding: str
) -> dict[str, str]:
    answer = await gateway.post(
        "/v1/tokens", headers=platform.admin, json={"role": role, "label": "clients", **binding}
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def _provider(gateway: httpx.AsyncClient, platform: RunningPlatform, **extra: Any) -> str:
    answer = await gateway.post(
        "/v1/providers",
        headers=platform.admin,
        json={
            "provider_id": f"PRV-C{uuid.uuid4().hex[:8].upper()}",
            "name": "Clients Test Provider",
            "services": [SERVICE],
            "counties": ["Boone"],
            **extra,
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["provider_id"])


@pytest.fixture
async def actors(gateway: httpx.AsyncClient, platform: RunningPlatform) -> dict[str, Any]:
    first = await _provider(gateway, platform)
    second = await _provider(
        gateway, platform, faith_based=True, religious_affiliation="Zoroastrian"
    )
    return {
        "providers": (first, second),
        "assessor": await _token(gateway, platform, "assessor", organisation_id=first),
        "provider_a": await _token(gateway, platform, "provider", provider_id=first),
        "provider_b": await _token(gateway, platform, "provider", provider_id=second),
    }


async def test_only_assessors_enrol_and_returning_people_keep_their_id(
    gateway: httpx.AsyncClient, actors: dict[str, Any]
) -> None:
    refused = await gateway.post("/v1/clients", headers=actors["provider_a"], json=BOB.intake())
    assert refused.status_code == 403
    anonymous = await gateway.post("/v1/clients", json=BOB.intake())
    assert anonymous.status_code == 401

    first = await gateway.post("/v1/clients", headers=actors["assessor"], json=BOB.intake())
    again = await gateway.post("/v1/clients", headers=actors["assessor"], json=BOB.intake())
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["client_id"] == first.json()["client_id"]
    assert again.json()["known"] is True
    assert again.json()["ssn_last4"] == BOB.ssn[-4:]
    assert BOB.ssn.replace("-", "")[:5] not in again.text

    carol = await gateway.post("/v1/clients", headers=actors["assessor"], json=CAROL.intake())
    namesake = await gateway.post(
        "/v1/clients", headers=actors["assessor"], json=CAROL_NAMESAKE.intake()
    )
    assert namesake.json()["client_id"] != carol.json()["client_id"]
    assert namesake.json()["review_flag"] is True


async def test_invalid_bodies_are_refused_without_echoing_phi(
    gateway: httpx.AsyncClient, actors: dict[str, Any]
) -> None:
    bad_ssn = await gateway.post(
        "/v1/clients", headers=actors["assessor"], json=ALICE.intake(ssn="666-48-9371")
    )
    unknown_field = await gateway.post(
        "/v1/clients", headers=actors["assessor"], json=ALICE.intake(nickname=ALICE.given_name)
    )
    for answer in (bad_ssn, unknown_field):
        assert answer.status_code == 422
        for secret in ("666-48-9371", ALICE.given_name, ALICE.family_name):
            assert secret not in answer.text


async def test_assessment_chain_consent_gate_choices_and_outcomes(
    gateway: httpx.AsyncClient, actors: dict[str, Any]
) -> None:
    assessor, provider_a, provider_b = (
        actors["assessor"],
        actors["provider_a"],
        actors["provider_b"],
    )
    first, second = actors["providers"]
    client_id = (
        await gateway.post("/v1/clients", headers=assessor, json=ALICE.intake(county="Boone"))
    ).json()["client_id"]
    base = f"/v1/clients/{client_id}"

    not_yet = await gateway.post(
        f"{base}/assessments", headers=assessor, json=_assessment(with_gpra=False)
    )
    assert not_yet.status_code == 409
    eligibility = await gateway.post(f"{base}/eligibility", headers=assessor, json=_eligibility())
    assert eligibility.status_code == 201, eligibility.text
    assert (
        await gateway.post(f"{base}/eligibility", headers=provider_a, json=_eligibility())
    ).status_code == 403

    unpriced = _assessment() | {
        "authorized_services": [
            {"service_code": SERVICE, "units": 20},
            {"service_code": "NO_SUCH_SERVICE", "units": 1},
        ]
    }
    refused = await gateway.post(f"{base}/assessments", headers=assessor, json=unpriced)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"][-3:] == ["authorized_services", 1, "service_code"]
    # seed 003 App. E §3: the notice of the right to a provider without religious
    # objection is part of the assessment record; without it the assessment is refused
    unnoticed = _assessment()
    del unnoticed["religious_objection_notice_given_at"]
    refused = await gateway.post(f"{base}/assessments", headers=assessor, json=unnoticed)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"][-1] == "religious_objection_notice_given_at"
    assessed = await gateway.post(f"{base}/assessments", headers=assessor, json=_assessment())
    assert assessed.status_code == 201, assessed.text
    assert assessed.json()["case_number"] == 1
    assert assessed.json()["gpra_intake"]["complete"] is True

    # A holds the client's voucher (the relationship that lets a provider reach a client)
    await active_voucher(
        gateway,
        assessor=assessor,
        provider=provider_a,
        provider_id=first,
        client_id=client_id,
        services=[{"service_code": SERVICE, "units": 5}],
    )

    # 42 CFR Part 2: no consent, no summary; consent for A only
    assert (await gateway.get(f"{base}/assessment-summary", headers=provider_a)).status_code == 403
    consent = await gateway.post(
        f"{base}/consents", headers=assessor, json={"provider_id": first, "signed_on": _today()}
    )
    assert consent.status_code == 201, consent.text
    summary = await gateway.get(f"{base}/assessment-summary", headers=provider_a)
    assert summary.status_code == 200, summary.text
    assert summary.json()["level_of_care"] == "outpatient"
    # B has no relationship with the client: the client does not exist for B
    assert (await gateway.get(f"{base}/assessment-summary", headers=provider_b)).status_code == 404
    assert (await gateway.get(f"{base}/assessment-summary", headers=assessor)).status_code == 403

    # choices: both test providers offered; objecting to all faith-based still leaves one
    choices = await gateway.get(f"{base}/choices", headers=assessor, params={"service": SERVICE})
    assert choices.status_code == 200, choices.text
    offered = {p["provider_id"] for p in choices.json()["providers"]}
    assert {first, second} <= offered
    assert choices.json()["assessor_organisation_id"] == first
    none = await gateway.get(f"{base}/choices", headers=assessor, params={"service": "NO_SUCH"})
    assert none.json()["choice_exception"]["shortfalls"] == [
        "FEWER_THAN_TWO_PROVIDERS",
        "NO_PROVIDER_WITHOUT_OBJECTION",
    ]

    # outcome data from the provider: status, GPRA follow-up, drug test; inconsistent refused
    status = await gateway.post(
        f"{base}/treatment-status",
        headers=provider_a,
        json={"treatment_status": "level_2", "effective_from": _today()},
    )
    assert status.status_code == 201, status.text
    assert status.json()["reported_by"] == first
    bad = _gpra("follow_up")
    bad["crime_criminal_justice"] = {"arrests": 0, "nights_in_jail": 4}
    refused = await gateway.post(f"{base}/gpra", headers=provider_a, json=bad)
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"code": "SKIPPED_AFTER_NO_ARRESTS", "item": "crime_criminal_justice.nights_in_jail"}
    ]
    assert refused.headers["content-type"] == "application/problem+json"
    where = ["body", "crime_criminal_justice", "nights_in_jail"]
    assert refused.json()["errors"][0]["loc"] == where
    follow_up = await gateway.post(f"{base}/gpra", headers=provider_a, json=_gpra("follow_up"))
    assert follow_up.status_code == 201, follow_up.text
    assert follow_up.json()["provider_id"] == first
    test = await gateway.post(
        f"{base}/drug-tests",
        headers=provider_a,
        json={"tested_on": _today(), "random": True, "result": "negative"},
    )
    assert test.status_code == 201, test.text
    due = await gateway.get(f"{base}/gpra/due", headers=assessor)
    assert due.status_code == 200, due.text
    assert {i["kind"] for i in due.json()["interviews"]} == {"follow_up", "discharge"}
    assert due.json()["overdue"] == 0


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


def _eligibility() -> dict[str, Any]:
    return {
        "inputs": {
            "annual_household_income": "14000.00",
            "household_size": 2,
            "state_resident": True,
            "substance_use_disorder": True,
        },
        "eligible": True,
    }


def _gpra(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "conducted_on": _today(),
        "alcohol_drug_use": {"any_alcohol": 2, "illegal_drugs": 0},
        "employment_education": {"employment": "part_time", "education": "not_enrolled"},
        "crime_criminal_justice": {"arrests": 0},
        "family_living_conditions": {"living": "independent_living", "has_children": False},
        "social_support": {
            "self_help_groups": True,
            "faith_recovery_groups": False,
            "other_recovery_organisations": False,
            "supportive_family_friends": True,
        },
    }
    if kind != "intake":
        body["retention"] = {"sessions": {"recovery_coaching": 3}}
    return body


def _assessment(*, with_gpra: bool = True) -> dict[str, Any]:
    return {
        "instrument": "ASI",
        "scores": {"alcohol": "0.42"},
        "screenings": [{"instrument": "AUDIT", "score": "14", "positive": True}],
        "diagnosis": "dependence",
        "level_of_care": "outpatient",
        "treatment_status": "level_1",
        "authorized_services": [{"service_code": SERVICE, "units": 20}],
        "max_value": "400.00",
        "religious_objection_notice_given_at": datetime.now(UTC).isoformat(),
        "attributes": ["national_guard_referral"],
        **({"gpra_intake": _gpra("intake")} if with_gpra else {}),
    }


async def test_seed_003_app_e_4_the_selection_is_one_of_the_providers_offered(
    gateway: httpx.AsyncClient, platform: RunningPlatform, actors: dict[str, Any]
) -> None:
    """Seed 003 App. E §4(2): "Assessment staff provided the client with a
    recommendation regarding level of care and a list of the various eligible providers.
    The client selected a provider". Through the gateway: before any list is offered the
    selection is a 409 to retry; a provider outside the list offered (another county) is
    refused 422 naming ``provider_id``; one on it is selected."""
    assessor = actors["assessor"]
    first, _ = actors["providers"]
    elsewhere = await _provider(gateway, platform, counties=["Cole"])
    client_id = f"CL-CHOICE-{uuid.uuid4().hex[:8].upper()}"
    created = await gateway.post(
        "/v1/vouchers",
        headers=assessor,
        json={
            "client_id": client_id,
            "authorized_services": [{"service_code": SERVICE, "units": 5}],
        },
    )
    assert created.status_code == 201, created.text
    url = f"/v1/vouchers/{created.json()['voucher_id']}/selection"

    async def select(provider_id: str, *, waiting: tuple[str, ...]) -> httpx.Response:
        for _ in range(480):
            answer = await gateway.post(url, headers=assessor, json={"provider_id": provider_id})
            if answer.status_code == 200 or not any(s in answer.text for s in waiting):
                return answer
            await asyncio.sleep(0.25)  # an event on its way to vouchers
        raise AssertionError(f"still waiting: {answer.text}")

    before = await select(first, waiting=("unknown provider",))
    assert before.status_code == 409, before.text
    assert "offer it first" in before.json()["detail"]

    offered = await gateway.post(
        f"/v1/clients/{client_id}/choice-lists",
        headers=assessor,
        json={"service_code": SERVICE, "county": "Boone"},
    )
    assert offered.status_code == 201, offered.text
    listed = [p["provider_id"] for p in offered.json()["providers"]]
    assert first in listed
    assert elsewhere not in listed
    assert offered.json()["choice_exception"] is None  # two Boone providers at least

    off_list = await select(elsewhere, waiting=("unknown provider", "offer it first"))
    assert off_list.status_code == 422, off_list.text
    assert off_list.json()["errors"][0]["loc"][-1] == "provider_id"
    assert "not on the choice list offered" in off_list.text
    chosen = await select(first, waiting=("offer it first",))
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["provider_id"] == first
