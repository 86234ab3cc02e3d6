"""X12 on the running platform: an 837P posted to ``POST /v1/x12/837`` is answered with
a 999 and a 277CA per claim, its lines become the claims the JSON API makes (the same
line posted as JSON is a duplicate with the same claim id), they are adjudicated and
invoiced, and ``GET /v1/x12/835`` gives the remittance whose totals are the JSON
remittance's; every X12 document the gateway writes validates with pyx12. A malformed
interchange is a 999 rejection naming the segment (never a 500)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pyx12.params
import pyx12.x12n_document

from services.payments.domain.funding import fiscal_year_of
from tests.gateway.x12_build import BILLING_NPI, RENDERING_NPI, Claim, Line, build_837
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

MENTORING = "RECOVERY_MENTORING_IND"  # H0038 without modifiers in the catalog
PROVIDER = "PRV-X12"
STAFF = {"staff_id": "STF-X12", "credentials": ["addictions_academy_graduate"]}
X12 = {"content-type": "application/edi-x12"}


def validate(text: str) -> bool:
    """pyx12's verdict on an X12 document (its map of the document's guide)."""
    summary = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, None, summary
    )
    json.loads(summary.getvalue())
    return bool(ok)


def segments(text: str, seg_id: str) -> list[list[str]]:
    """The elements of every ``seg_id`` segment of an X12 text."""
    found = []
    for raw in text.split("~"):
        parts = raw.strip().split("*")
        if parts[0] == seg_id:
            found.append(parts)
    return found


async def _voucher(
    gateway: httpx.AsyncClient, assessor: dict[str, str], provider: dict[str, str], client: str
) -> dict[str, str]:
    """A voucher assessed 90 days ago and admitted 60 days ago (so last month's lines
    are within it), with the provider selected."""
    admitted = await active_voucher(
        gateway,
        assessor=assessor,
        provider=provider,
        provider_id=PROVIDER,
        client_id=client,
        services=[{"service_code": MENTORING, "units": 100}],
        assessed_on=utc_today() - timedelta(days=90),
        admitted_on=utc_today() - timedelta(days=60),
    )
    return {"client_id": client, "voucher_id": str(admitted["voucher_id"])}


async def _decided(
    gateway: httpx.AsyncClient, claim_id: str, headers: dict[str, str]
) -> dict[str, Any] | None:
    answer: dict[str, Any] = (await gateway.get(f"/v1/claims/{claim_id}", headers=headers)).json()
    if answer["status"] in ("received", "pending"):
        return None
    if answer["allowed_amount"] and Decimal(answer["allowed_amount"]) and not answer["funding"]:
        return None  # approved: wait for payments' funding decision too
    return answer


async def test_an_837p_becomes_claims_and_its_remittance_an_835(
    platform: RunningPlatform,
) -> None:
    today = utc_today()
    first_of_month = today.replace(day=1)
    served: date = first_of_month - timedelta(days=10)  # paid by this month's run
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-X12")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        vouchers = [await _voucher(gateway, assessor, provider, f"CL-X12-{n}") for n in (1, 2)]
        for year in {fiscal_year_of(served), fiscal_year_of(today)}:
            opened = await gateway.post(
                "/v1/fiscal-years",
                json={"fiscal_year": year, "total": "1000000.00"},
                headers=platform.admin,
            )
            assert opened.status_code in (201, 409), opened.text

        interchange = build_837(
            [
                Claim(
                    "X12-A",
                    vouchers[0]["client_id"],
                    vouchers[0]["voucher_id"],
                    [Line("H0038", 2, served, "10")],
                    staff_id=STAFF["staff_id"],
                ),
                Claim(
                    "X12-B",
                    vouchers[1]["client_id"],
                    vouchers[1]["voucher_id"],
                    [
                        Line("H0038", 3, served, "15", control="X12-B-1"),
                        # a service the voucher does not authorize: denied
                        Line(
                            "H0006",
                            1,
                            served,
                            "5",
                            service_code="CARE_COORDINATION",
                            control="X12-B-2",
                        ),
                    ],
                    staff_id=STAFF["staff_id"],
                ),
                Claim("X12-C", vouchers[1]["client_id"], None, [Line("H0038", 1, served)]),
            ]
        )
        posted = await gateway.post("/v1/x12/837", content=interchange, headers={**provider, **X12})
        assert posted.status_code == 200, posted.text
        ack = posted.json()
        assert ack["accepted"]
        assert ack["ta1"] is None
        assert "IK5*A~" in ack["ack999"]
        assert validate(ack["ack999"])
        assert validate(ack["ack277ca"])
        by_ref = {c["patient_control_number"]: c for c in ack["claims"]}
        assert by_ref["X12-A"]["status"] == "accepted"
        assert by_ref["X12-B"]["status"] == "accepted"
        assert by_ref["X12-C"]["status"] == "rejected"
        assert "REF*G1" in by_ref["X12-C"]["reason"]
        ids = {
            line["claim_ref"]: line["claim_id"]
            for ref in ("X12-A", "X12-B")
            for line in by_ref[ref]["lines"]
        }
        assert set(ids) == {"X12-A", "X12-B-1", "X12-B-2"}
        assert ack["ack277ca"].count("STC*A2:20*") == 2
        assert ack["ack277ca"].count("STC*A7:21*") == 1

        # The same line as JSON: the claim the X12 made, a duplicate.
        as_json = await gateway.post(
            "/v1/claims",
            json={
                "claim_ref": "X12-A",
                "provider_id": PROVIDER,
                "client_id": vouchers[0]["client_id"],
                "voucher_id": vouchers[0]["voucher_id"],
                "service_code": MENTORING,
                "service_date": served.isoformat(),
                "units": 2,
                "staff_id": STAFF["staff_id"],
                "rendering_npi": RENDERING_NPI,
                "billing_npi": BILLING_NPI,
                "procedure_code": "H0038",
                "diagnosis_codes": ["F11.20"],
                "place_of_service": "57",
                "client_signature": True,
                "face_to_face": True,
            },
            headers=provider,
        )
        assert as_json.status_code == 202, as_json.text
        assert as_json.json()["duplicate"]
        assert as_json.json()["claim_id"] == ids["X12-A"]

        decided = {
            ref: await wait_until(
                lambda claim_id=claim_id: _decided(gateway, claim_id, provider), timeout_s=120
            )
            for ref, claim_id in ids.items()
        }
        assert decided["X12-A"]["status"] == "approved", decided["X12-A"]
        assert decided["X12-B-1"]["status"] == "approved", decided["X12-B-1"]
        assert decided["X12-B-2"]["status"] == "denied", decided["X12-B-2"]

        period = today.strftime("%Y-%m")
        run = await gateway.post(
            "/v1/invoice-runs", json={"period": period}, headers=platform.admin
        )
        assert run.status_code == 201, run.text

        remittance = await gateway.get(
            "/v1/remittances", params={"period": period}, headers=provider
        )
        assert remittance.status_code == 200, remittance.text
        statement = remittance.json()
        answer = await gateway.get("/v1/x12/835", params={"invoice_run": period}, headers=provider)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/edi-x12")
        as_admin = await gateway.get(
            "/v1/x12/835",
            params={"invoice_run": period, "provider_id": PROVIDER},
            headers=platform.admin,
        )
        assert as_admin.status_code == 200, as_admin.text

        malformed = interchange.replace("DTP*472*", "DTX*472*", 1)
        rejected = await gateway.post("/v1/x12/837", content=malformed, headers={**provider, **X12})
        not_x12 = await gateway.post(
            "/v1/x12/837", content="claim_ref,units\n", headers={**provider, **X12}
        )
        as_form = await gateway.post(
            "/v1/x12/837", content=interchange, headers={**provider, "content-type": "text/csv"}
        )

    remit = answer.text
    assert validate(remit)
    [bpr] = segments(remit, "BPR")
    clps = segments(remit, "CLP")
    assert Decimal(bpr[2]) == Decimal(statement["total"])
    assert sum(Decimal(clp[4]) for clp in clps) == Decimal(statement["paid"])
    by_claim = {clp[7]: clp for clp in clps}
    assert {line["claim_id"] for line in statement["lines"]} == set(by_claim)
    assert set(ids.values()) <= set(by_claim)  # every line of the 837P is on the 835
    assert by_claim[ids["X12-B-2"]][1] == "X12-B-2"  # CLP01: the EHR's reference
    assert by_claim[ids["X12-B-2"]][2] == "4"  # denied
    denied_reasons = decided["X12-B-2"]["reasons"]
    assert denied_reasons, decided["X12-B-2"]
    cas = [c for c in segments(remit, "CAS") if c[2] != "104"]
    assert cas, remit  # the denial's CARC

    assert rejected.status_code == 200, rejected.text
    assert not rejected.json()["accepted"]
    assert "IK3*DTX*" in rejected.json()["ack999"]
    assert "IK5*R" in rejected.json()["ack999"]
    assert rejected.json()["claims"] == []
    assert not_x12.status_code == 400, not_x12.text
    assert as_form.status_code == 415, as_form.text
