"""The real-claim fields through the running platform: the gateway refuses a procedure
code that is not the catalog's HCPCS code and a bad NPI (422 naming the field), accepts
a full line whose fields the claims service stores with it, and a line filed more than
the program's timely filing limit after its service date is denied ``TIMELY_FILING``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform
from tests.integration.test_claims_pipeline import rows

MENTORING = "RECOVERY_MENTORING_IND"
PROVIDER = "PRV-BILLING"
STAFF = {"staff_id": "STF-BILL", "credentials": ["addictions_academy_graduate"]}
BILLING = {
    "rendering_npi": "1234567893",
    "billing_npi": "1245319599",
    "procedure_code": "H0038",
    "modifiers": ["U1"],
    "diagnosis_codes": ["F11.20", "Z63"],
    "place_of_service": "57",
}


def body(ref: str, voucher: dict[str, Any], days_ago: int, **extra: Any) -> dict[str, Any]:
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": voucher["client_id"],
        "voucher_id": voucher["voucher_id"],
        "service_code": MENTORING,
        "service_date": (utc_today() - timedelta(days=days_ago)).isoformat(),
        "units": 2,
        "staff_id": STAFF["staff_id"],
        "start_time": "09:00:00",
        "end_time": "09:30:00",
        "client_signature": True,
        "face_to_face": True,
        **extra,
    }


async def _decided(
    gateway: httpx.AsyncClient, claim_id: str, headers: dict[str, str]
) -> dict[str, Any] | None:
    answer: dict[str, Any] = (await gateway.get(f"/v1/claims/{claim_id}", headers=headers)).json()
    return answer if answer["status"] not in ("received", "pending") else None


async def test_billing_fields_are_checked_stored_and_late_lines_denied(
    platform: RunningPlatform,
) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-BILL")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        voucher = await active_voucher(
            gateway,
            assessor=assessor,
            provider=provider,
            provider_id=PROVIDER,
            client_id="CL-BILL-1",
            services=[{"service_code": MENTORING, "units": 100}],
        )

        wrong_code = await gateway.post(
            "/v1/claims",
            json=body("B-0", voucher, 0, **{**BILLING, "procedure_code": "H0006"}),
            headers=provider,
        )
        assert wrong_code.status_code == 422, wrong_code.text
        assert [e["loc"][-1] for e in wrong_code.json()["errors"]] == ["procedure_code"]

        bad_npi = await gateway.post(
            "/v1/claims",
            json=body("B-0", voucher, 0, **{**BILLING, "billing_npi": "1245319590"}),
            headers=provider,
        )
        assert bad_npi.status_code == 422, bad_npi.text
        assert [e["loc"][-1] for e in bad_npi.json()["errors"]] == ["billing_npi"]

        filed = {utc_today().isoformat()}
        full = await gateway.post(
            "/v1/claims", json=body("B-1", voucher, 0, **BILLING), headers=provider
        )
        assert full.status_code == 202, full.text
        filed.add(utc_today().isoformat())  # a submission across midnight UTC
        late = await gateway.post(
            "/v1/claims", json=body("B-2", voucher, 400, **BILLING), headers=provider
        )
        assert late.status_code == 202, late.text

        full_status = await wait_until(
            lambda: _decided(gateway, full.json()["claim_id"], provider), timeout_s=120
        )
        late_status = await wait_until(
            lambda: _decided(gateway, late.json()["claim_id"], provider), timeout_s=120
        )
    assert full_status["status"] == "approved", full_status
    assert late_status["status"] == "denied"
    assert late_status["reasons"] == ["TIMELY_FILING"]

    [(stored,)] = await rows(
        platform.database_urls["claims"],
        "SELECT line FROM claims WHERE claim_id = :claim_id",
        claim_id=full.json()["claim_id"],
    )
    line = json.loads(stored) if isinstance(stored, str) else stored
    assert {name: line[name] for name in BILLING} == BILLING
    assert line["filed_on"] in filed
