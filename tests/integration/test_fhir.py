"""FHIR R4 through the running platform (SPEC §4 ``/v1/fhir``): a provider posts a FHIR
Claim of two items, reads its ClaimResponse until the claim workers decided both lines,
and reads the client's ExplanationOfBenefit Bundle with payments' funding; the same
Claim again is the same lines; a malformed Claim is a 422 naming the element; another
provider reads nothing of it. Every resource read is validated with fhir.resources."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claimresponse import ClaimResponse

from services.gateway.fhir import systems
from services.payments.domain.funding import fiscal_year_of
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

MENTORING = "RECOVERY_MENTORING_IND"
PROVIDER = "PRV-FHIR"
OTHER = "PRV-FHIR-OTHER"
STAFF = {"staff_id": "STF-FHIR", "credentials": ["addictions_academy_graduate"]}
FHIR = {"Content-Type": "application/fhir+json"}


def _times(start: str, end: str) -> list[dict[str, Any]]:
    return [
        {"url": f"{systems.LINE_EXTENSION}start-time", "valueTime": start},
        {"url": f"{systems.LINE_EXTENSION}end-time", "valueTime": end},
        {"url": f"{systems.LINE_EXTENSION}client-signature", "valueBoolean": True},
        {"url": f"{systems.LINE_EXTENSION}face-to-face", "valueBoolean": True},
    ]


def fhir_claim(client_id: str, voucher_id: str) -> dict[str, Any]:
    today = utc_today().isoformat()
    return {
        "resourceType": "Claim",
        "status": "active",
        "identifier": [{"system": "urn:ehr:prv-fhir", "value": "FHIR-CLAIM-1"}],
        "type": {"coding": [{"system": systems.CLAIM_TYPE, "code": "professional"}]},
        "use": "claim",
        "patient": {"reference": f"Patient/{client_id}"},
        "created": today,
        "provider": {
            "reference": f"Organization/{PROVIDER}",
            "identifier": {"system": systems.NPI, "value": "1245319599"},
        },
        "priority": {"coding": [{"code": "normal"}]},
        "careTeam": [
            {
                "sequence": 1,
                "provider": {
                    "reference": f"Practitioner/{STAFF['staff_id']}",
                    "identifier": {"system": systems.NPI, "value": "1234567893"},
                },
            }
        ],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": systems.ICD10CM, "code": "F11.20"}]
                },
            }
        ],
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"display": "ATR voucher"},
                "preAuthRef": [voucher_id],
            }
        ],
        "item": [
            {
                "sequence": 1,
                "careTeamSequence": [1],
                "diagnosisSequence": [1],
                "productOrService": {"coding": [{"system": systems.HCPCS, "code": "H0038"}]},
                "servicedDate": today,
                "quantity": {"value": 2},
                "locationCodeableConcept": {
                    "coding": [{"system": systems.PLACE_OF_SERVICE, "code": "57"}]
                },
                "extension": _times("09:00:00", "09:30:00"),
            },
            {
                "sequence": 2,
                "careTeamSequence": [1],
                "productOrService": {
                    "coding": [{"system": systems.SERVICE_CODE, "code": MENTORING}]
                },
                "servicedDate": today,
                "quantity": {"value": 1},
                "extension": _times("10:00:00", "10:15:00"),
            },
        ],
    }


async def _complete(
    gateway: httpx.AsyncClient, claim_id: str, headers: dict[str, str]
) -> ClaimResponse | None:
    answer = await gateway.get(f"/v1/fhir/ClaimResponse/{claim_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    response = ClaimResponse.model_validate_json(answer.content)
    return response if response.outcome == "complete" else None


async def _paid(gateway: httpx.AsyncClient, client_id: str, headers: dict[str, str]) -> Any:
    answer = await gateway.get(
        "/v1/fhir/ExplanationOfBenefit", params={"patient": client_id}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    bundle = Bundle.model_validate_json(answer.content)
    entries = bundle.entry or []
    return bundle if entries and all(e.resource.payment is not None for e in entries) else None


async def test_a_fhir_claim_is_adjudicated_and_explained(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        await register_provider(gateway, platform, OTHER, [MENTORING], [])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-FHIR")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        other = await grant(gateway, platform, "provider", provider_id=OTHER)
        voucher = await active_voucher(
            gateway,
            assessor=assessor,
            provider=provider,
            provider_id=PROVIDER,
            client_id="CL-FHIR-1",
            services=[{"service_code": MENTORING, "units": 100}],
        )
        opened = await gateway.post(  # opened already when the funding test ran first
            "/v1/fiscal-years",
            json={"fiscal_year": fiscal_year_of(utc_today()), "total": "100000.00"},
            headers=platform.admin,
        )
        assert opened.status_code in (201, 409), opened.text
        claim = fhir_claim(voucher["client_id"], voucher["voucher_id"])

        # -- malformed or unmappable: 422 naming the element; another media type: 415
        no_patient = {k: v for k, v in claim.items() if k != "patient"}
        refused = await gateway.post("/v1/fhir/Claim", json=no_patient, headers=provider | FHIR)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "patient"]]
        no_voucher = copy.deepcopy(claim)
        del no_voucher["insurance"][0]["preAuthRef"]
        refused = await gateway.post("/v1/fhir/Claim", json=no_voucher, headers=provider | FHIR)
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["errors"]] == [
            ["body", "insurance", 0, "preAuthRef"]
        ]
        bad_date = copy.deepcopy(claim)
        bad_date["item"][0]["servicedDate"] = "2026-02-30T"
        refused = await gateway.post("/v1/fhir/Claim", json=bad_date, headers=provider | FHIR)
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "item", 0, "servicedDate"]]
        not_json = await gateway.post("/v1/fhir/Claim", content=b"{", headers=provider | FHIR)
        assert not_json.status_code == 422, not_json.text
        as_text = await gateway.post(
            "/v1/fhir/Claim",
            content=b"{}",
            headers=provider | {"Content-Type": "text/plain"},
        )
        assert as_text.status_code == 415, as_text.text
        # the other provider may not post the own provider's claim
        foreign = await gateway.post("/v1/fhir/Claim", json=claim, headers=other | FHIR)
        assert foreign.status_code == 403, foreign.text

        # -- accepted: one line per item, the same Claim again is the same lines
        accepted = await gateway.post("/v1/fhir/Claim", json=claim, headers=provider | FHIR)
        assert accepted.status_code == 202, accepted.text
        queued = ClaimResponse.model_validate_json(accepted.content)
        assert queued.outcome == "queued"
        claim_ids = [identifier.value for identifier in queued.identifier]
        assert len(claim_ids) == 2
        assert accepted.headers["location"] == f"/v1/fhir/ClaimResponse/{claim_ids[0]}"
        again = await gateway.post("/v1/fhir/Claim", json=claim, headers=provider)  # plain JSON
        assert again.status_code == 202, again.text
        assert [i.value for i in ClaimResponse.model_validate_json(again.content).identifier] == (
            claim_ids
        )

        # -- the ClaimResponse once both lines are decided
        response = await wait_until(
            lambda: _complete(gateway, claim_ids[1], provider), timeout_s=180, interval_s=0.5
        )
        assert [item.itemSequence for item in response.item] == [1, 2]
        for item, claim_id in zip(response.item, claim_ids, strict=True):
            assert item.extension[0].valueString == claim_id
            line = (await gateway.get(f"/v1/claims/{claim_id}", headers=provider)).json()
            assert line["status"] == "approved", line
            eligible = next(a for a in item.adjudication if a.category.coding[0].code == "eligible")
            assert eligible.value == line["allowed_units"]
            assert eligible.amount.value == Decimal(line["allowed_amount"])
        assert response.request.identifier.value == "FHIR-CLAIM-1"

        # -- the client's EOBs, with payments' funding once it decided
        bundle = await wait_until(
            lambda: _paid(gateway, voucher["client_id"], provider), timeout_s=180, interval_s=1
        )
        assert bundle.type == "searchset"
        assert bundle.total == 2
        assert sorted(entry.resource.id for entry in bundle.entry) == sorted(claim_ids)
        for entry in bundle.entry:
            line = (await gateway.get(f"/v1/claims/{entry.resource.id}", headers=provider)).json()
            funding = line["funding"]
            paid = entry.resource.payment.amount.value
            assert paid == (Decimal(funding["payable"]) if funding["funded"] else 0)

        # -- another provider reads nothing of it
        hidden = await gateway.get(f"/v1/fhir/ClaimResponse/{claim_ids[0]}", headers=other)
        assert hidden.status_code == 404, hidden.text
        none = await gateway.get(
            "/v1/fhir/ExplanationOfBenefit",
            params={"patient": f"Patient/{voucher['client_id']}"},
            headers=other,
        )
        assert none.status_code == 200, none.text
        empty = Bundle.model_validate_json(none.content)
        assert (empty.total, empty.entry) == (0, None)
