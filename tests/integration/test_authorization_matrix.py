"""Who may call what: every gateway route by every role, on the running platform (SPEC §4).

The table below is written from SPEC §4's role table. Each cell is the expected class of
answer for one request with a valid body: ``401`` (no token), ``403`` (the role may not),
``404`` (a provider outside its relationship: the resource does not exist for it), or
``ok`` (2xx, or a 4xx about the body or the state such as 409/422 — the caller was
allowed to ask). Any 5xx differs from every class.

Roles: ``provider_own`` is the provider holding the client's voucher (the voucher, and
the claim, are its own); ``provider_other`` is a second registered provider without
any relationship to them. The routes are the gateway's own (``/openapi.json``): a route
missing from the table fails the test, as does a table row for a route that is gone.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.gateway.fhir.systems import SERVICE_CODE as SERVICE_CODE_SYSTEM
from tests.gateway.x12_build import Claim, Line, build_837
from tests.integration.actors import (
    active_voucher,
    bearer,
    offer_choices,
    selection_pending,
    utc_today,
)
from tests.integration.conftest import RunningPlatform

SERVICE = "RECOVERY_MENTORING_IND"
ROLES = ("none", "state_system", "doc_thu", "provider_other", "admin", "assessor", "provider_own")
"""Every role, in the order each route's cells run: the permitted writers come last, so
a cell that changes state (a discharge, a revocation) runs after the refused ones."""


def cells(*allowed: str, not_found: tuple[str, ...] = (), public: bool = False) -> dict[str, str]:
    """A row: ``allowed`` roles are ``ok``, ``not_found`` 404, other tokens 403, none 401."""
    row = dict.fromkeys(ROLES, "403")
    row["none"] = "ok" if public else "401"
    for role in not_found:
        row[role] = "404"
    for role in allowed:
        row[role] = "ok"
    return row


PROVIDER_OWN_ONLY = ("provider_own",)
MATRIX_PERIOD = "2005-01"
"""An invoice month before any claim's service date (the admin's cell runs it)."""
MATRIX_FISCAL_YEAR = 2090
"""A fiscal year no other test opens (the admin's cell opens it, the reads find it)."""
OTHER = ("provider_other",)

TABLE: dict[tuple[str, str], dict[str, str]] = {
    # -- provider registry (SPEC §4: admin writes, public directory)
    ("POST", "/v1/providers"): cells("admin"),
    ("GET", "/v1/providers"): cells(*ROLES, public=True),
    ("PATCH", "/v1/providers/{provider_id}"): cells("admin"),
    ("POST", "/v1/providers/{provider_id}/staff"): cells("admin"),
    # -- tokens: SPEC §4 is silent; the code lets admins only grant, list and revoke
    #    (SPEC §5)
    ("POST", "/v1/tokens"): cells("admin"),
    ("GET", "/v1/tokens"): cells("admin"),
    ("DELETE", "/v1/tokens/{token_id}"): cells("admin"),
    # -- fiscal years (SPEC §4: admin opens; SPEC silent on reading: admins and state
    #    systems, who report spend against allotments)
    ("POST", "/v1/fiscal-years"): cells("admin"),
    ("GET", "/v1/fiscal-years/{fiscal_year}"): cells("admin", "state_system"),
    # SPEC §3.5 silent on who distributes the incentive pool: the administrative agency,
    # like invoices (the matrix year has not ended: the admin's cell is a 409)
    ("POST", "/v1/fiscal-years/{fiscal_year}/incentives"): cells("admin"),
    # seed 003 App. B: the administrative agency records its own expenses
    ("POST", "/v1/fiscal-years/{fiscal_year}/administrative-costs"): cells("admin"),
    # -- invoices (SPEC §4: admin runs them; remittances: each provider its own, admins
    #    any provider's). The run is for a month before any claim, so it pays nothing
    ("POST", "/v1/invoice-runs"): cells("admin"),
    ("GET", "/v1/remittances"): cells("admin", "provider_own", "provider_other"),
    # -- X12 (providers post 837P interchanges of their own claims; the 835 is the
    #    remittance, read as GET /v1/remittances)
    ("POST", "/v1/x12/837"): cells("provider_own", "provider_other"),
    ("GET", "/v1/x12/835"): cells("admin", "provider_own", "provider_other"),
    # -- reports (SPEC §4: admin, state_system)
    ("GET", "/v1/reports/financial"): cells("admin", "state_system"),
    ("GET", "/v1/reports/providers"): cells("admin", "state_system"),
    ("GET", "/v1/reports/integrity"): cells("admin", "state_system"),
    # -- claims (provider; admin reads). The other provider's line names the own provider
    #    (acting for another provider is 403); its read of the own claim is 404
    ("POST", "/v1/claims"): cells("provider_own"),
    ("POST", "/v1/claims/batch"): cells("provider_own"),
    ("GET", "/v1/claims/{claim_id}"): cells("admin", "provider_own", not_found=OTHER),
    # SPEC silent on corrections: the line's provider, or the administrative agency
    ("POST", "/v1/claims/{claim_id}/corrections"): cells("admin", "provider_own", not_found=OTHER),
    # seed 004 (A)2 "unusual circumstances that are documented in the client record":
    # the administrative agency reviews and records them (SPEC silent on who: admin)
    ("POST", "/v1/claims/reviews"): cells("admin"),
    # the claims list (SPEC §4: provider, admin; state_system refused, see the route):
    # every cell asks for the own provider's lines, which the other provider may not
    ("GET", "/v1/claims"): cells("admin", "provider_own"),
    # -- FHIR (SPEC §4: provider). The other provider's Claim names the own provider
    #    (403), its read of the own claim's ClaimResponse is 404, and its search of the
    #    client finds none of the own provider's lines (an empty Bundle)
    ("POST", "/v1/fhir/Claim"): cells("provider_own"),
    ("GET", "/v1/fhir/ClaimResponse/{claim_id}"): cells("provider_own", not_found=OTHER),
    ("GET", "/v1/fhir/ExplanationOfBenefit"): cells("provider_own", "provider_other"),
    # -- the active program (SPEC §4 "any token")
    ("GET", "/v1/program"): cells(*(role for role in ROLES if role != "none")),
    # -- vouchers. Create: assessor (service), doc_thu (re-entry). The lifecycle row
    #    "admin / provider" is read as the code does: extension and closure admin only,
    #    admission the selected provider, discharge the provider or admin
    ("POST", "/v1/vouchers"): cells("assessor", "doc_thu"),
    ("GET", "/v1/vouchers/{voucher_id}"): cells(
        "admin", "assessor", "provider_own", not_found=OTHER
    ),
    ("POST", "/v1/vouchers/{voucher_id}/selection"): cells("assessor"),
    ("POST", "/v1/vouchers/{voucher_id}/admission"): cells("provider_own", not_found=OTHER),
    ("POST", "/v1/vouchers/{voucher_id}/extension"): cells("admin"),
    ("POST", "/v1/vouchers/{voucher_id}/closure"): cells("admin"),
    ("POST", "/v1/vouchers/{voucher_id}/discharge"): cells(
        "admin", "provider_own", not_found=OTHER
    ),
    # -- clients (eligibility). A provider reaches a client only through the relationship
    ("POST", "/v1/clients"): cells("assessor"),
    ("POST", "/v1/clients/{client_id}/eligibility"): cells("assessor"),
    ("POST", "/v1/clients/{client_id}/assessments"): cells("assessor"),
    # SPEC silent on treatment status: the code takes it from the provider or assessor
    ("POST", "/v1/clients/{client_id}/treatment-status"): cells(
        "assessor", "provider_own", not_found=OTHER
    ),
    # SPEC silent on religious objections and consents: the code takes them from
    # assessors (they are recorded with the client at intake and choice)
    ("POST", "/v1/clients/{client_id}/religious-objections"): cells("assessor"),
    ("GET", "/v1/clients/{client_id}/choices"): cells("assessor"),
    ("POST", "/v1/clients/{client_id}/choice-lists"): cells("assessor"),
    ("POST", "/v1/clients/{client_id}/consents"): cells("assessor"),
    ("POST", "/v1/clients/{client_id}/consents/{consent_id}/revocation"): cells("assessor"),
    # SPEC silent: the code discloses the summary to the consented provider only
    # (42 CFR Part 2); the own provider has consent in this scenario
    ("GET", "/v1/clients/{client_id}/assessment-summary"): cells("provider_own", not_found=OTHER),
    ("POST", "/v1/clients/{client_id}/gpra"): cells("assessor", "provider_own", not_found=OTHER),
    # SPEC silent on the due list: the code lets assessors, providers and admins read it
    ("GET", "/v1/clients/{client_id}/gpra/due"): cells(
        "admin", "assessor", "provider_own", not_found=OTHER
    ),
    ("POST", "/v1/clients/{client_id}/drug-tests"): cells(
        "assessor", "provider_own", not_found=OTHER
    ),
    # -- GPRA outcome reports (SPEC §4: admin and state_system)
    ("GET", "/v1/reports/gpra"): cells("admin", "state_system"),
    ("GET", "/v1/reports/follow-up"): cells("admin", "state_system"),
    ("GET", "/v1/reports/outcomes"): cells("admin", "state_system"),
}


@dataclass
class World:
    """The scenario every cell runs against."""

    headers: dict[str, dict[str, str]]
    own: str
    other: str
    spare: str
    client_id: str
    voucher_id: str
    closable_voucher_id: str
    claim_id: str
    consent_to_revoke: str
    token_to_revoke: str
    counter: list[int] = field(default_factory=lambda: [0])

    def unique(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}-{uuid.uuid4().hex[:6].upper()}-{self.counter[0]}"


def _today() -> str:
    return utc_today().isoformat()


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


def _assessment() -> dict[str, Any]:
    return {
        "instrument": "ASI",
        "scores": {"alcohol": "0.42"},
        "diagnosis": "dependence",
        "level_of_care": "outpatient",
        "treatment_status": "level_1",
        "authorized_services": [{"service_code": SERVICE, "units": 20}],
        "max_value": "400.00",
        "religious_objection_notice_given_at": datetime.now(UTC).isoformat(),
        "gpra_intake": _gpra("intake"),
    }


def _intake() -> dict[str, Any]:
    # a fictitious person without an SSN, apart from tests.phi_fixtures' people so this
    # scenario shares no client with test_clients_api
    return {
        "given_name": "Quintessa",
        "family_name": "Rolematrix",
        "date_of_birth": "1949-02-11",
        "county": "Boone",
    }


def _claim(world: World, role: str) -> dict[str, Any]:
    return {
        "claim_ref": world.unique(f"AUTHZ-{role}"),
        "provider_id": world.own,  # the other provider tries to act for the own one
        "client_id": world.client_id,
        "voucher_id": world.voucher_id,
        "service_code": SERVICE,
        "service_date": _today(),
        "units": 1,
        "staff_id": "STF-AUTHZ",
    }


def _fhir_claim(world: World, role: str) -> dict[str, Any]:
    """A one-item FHIR Claim of the own provider's line (as :func:`_claim`)."""
    return {
        "resourceType": "Claim",
        "status": "active",
        "identifier": [{"value": world.unique(f"AUTHZ-FHIR-{role}")}],
        "type": {"coding": [{"code": "professional"}]},
        "use": "claim",
        "patient": {"reference": f"Patient/{world.client_id}"},
        "created": _today(),
        "provider": {"reference": f"Organization/{world.own}"},
        "priority": {"coding": [{"code": "normal"}]},
        "careTeam": [{"sequence": 1, "provider": {"reference": "Practitioner/STF-AUTHZ"}}],
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"display": "ATR"},
                "preAuthRef": [world.voucher_id],
            }
        ],
        "item": [
            {
                "sequence": 1,
                "productOrService": {"coding": [{"system": SERVICE_CODE_SYSTEM, "code": SERVICE}]},
                "servicedDate": _today(),
                "quantity": {"value": 1},
            }
        ],
    }


Request = tuple[str, dict[str, Any] | str | None, dict[str, Any] | None]
"""(URL path, JSON body, X12 text or None, query parameters or None)."""


def _x12_claim(world: World, role: str) -> str:
    return build_837(
        [
            Claim(
                world.unique(f"X12-{role}"),
                world.client_id,
                world.voucher_id,
                [Line("H0038", 1, utc_today())],  # RECOVERY_MENTORING_IND
                staff_id="STF-AUTHZ",
            )
        ]
    )


def _voucher_body(world: World, role: str) -> dict[str, Any]:
    if role == "doc_thu":
        return {
            "client_id": world.client_id,
            "kind": "reentry",
            "release_date": (utc_today() + timedelta(days=7)).isoformat(),
            "authorized_services": [{"service_code": "REENTRY_COORDINATION", "units": 2}],
        }
    return {
        "client_id": world.client_id,
        "authorized_services": [{"service_code": SERVICE, "units": 5}],
    }


REQUESTS: dict[tuple[str, str], Callable[[World, str], Request]] = {
    ("POST", "/v1/fiscal-years"): lambda w, r: (
        "/v1/fiscal-years",
        {"fiscal_year": MATRIX_FISCAL_YEAR, "total": "1000.00"},
        None,
    ),
    ("GET", "/v1/fiscal-years/{fiscal_year}"): lambda w, r: (
        f"/v1/fiscal-years/{MATRIX_FISCAL_YEAR}",
        None,
        None,
    ),
    ("POST", "/v1/fiscal-years/{fiscal_year}/incentives"): lambda w, r: (
        f"/v1/fiscal-years/{MATRIX_FISCAL_YEAR}/incentives",
        None,
        None,
    ),
    ("POST", "/v1/fiscal-years/{fiscal_year}/administrative-costs"): lambda w, r: (
        f"/v1/fiscal-years/{MATRIX_FISCAL_YEAR}/administrative-costs",
        {
            "reference": f"AP-MATRIX-{r}",
            "quarter": 1,
            "category": "information_systems",
            "amount": "10.00",
        },
        None,
    ),
    ("POST", "/v1/invoice-runs"): lambda w, r: (
        "/v1/invoice-runs",
        {"period": MATRIX_PERIOD},
        None,
    ),
    ("GET", "/v1/remittances"): lambda w, r: (
        "/v1/remittances",
        None,
        {"period": MATRIX_PERIOD, **({"provider_id": w.own} if r == "admin" else {})},
    ),
    ("POST", "/v1/x12/837"): lambda w, r: ("/v1/x12/837", _x12_claim(w, r), None),
    ("GET", "/v1/x12/835"): lambda w, r: (
        "/v1/x12/835",
        None,
        {"invoice_run": MATRIX_PERIOD, **({"provider_id": w.own} if r == "admin" else {})},
    ),
    ("GET", "/v1/reports/financial"): lambda w, r: (
        "/v1/reports/financial",
        None,
        {"period": f"{MATRIX_FISCAL_YEAR}Q1"},
    ),
    ("GET", "/v1/reports/providers"): lambda w, r: (
        "/v1/reports/providers",
        None,
        {"period": f"{MATRIX_FISCAL_YEAR}Q1"},
    ),
    ("GET", "/v1/reports/integrity"): lambda w, r: (
        "/v1/reports/integrity",
        None,
        {"period": f"{MATRIX_FISCAL_YEAR}Q1"},
    ),
    ("POST", "/v1/providers"): lambda w, r: (
        "/v1/providers",
        {
            "provider_id": w.unique("PRV-AUTHZ"),
            "name": "Matrix Provider",
            "services": [SERVICE],
            "counties": ["Boone"],
        },
        None,
    ),
    ("GET", "/v1/providers"): lambda w, r: ("/v1/providers", None, {"service": SERVICE}),
    ("PATCH", "/v1/providers/{provider_id}"): lambda w, r: (
        f"/v1/providers/{w.spare}",
        {"name": "Matrix Spare Renamed"},
        None,
    ),
    ("POST", "/v1/providers/{provider_id}/staff"): lambda w, r: (
        f"/v1/providers/{w.spare}/staff",
        {"staff_id": w.unique("STF"), "credentials": ["addictions_academy_graduate"]},
        None,
    ),
    ("POST", "/v1/tokens"): lambda w, r: (
        "/v1/tokens",
        {"role": "state_system", "label": "authorization matrix"},
        None,
    ),
    ("GET", "/v1/tokens"): lambda w, r: ("/v1/tokens", None, {"include_inactive": "true"}),
    ("DELETE", "/v1/tokens/{token_id}"): lambda w, r: (
        f"/v1/tokens/{w.token_to_revoke}",
        None,
        None,
    ),
    ("POST", "/v1/claims"): lambda w, r: ("/v1/claims", _claim(w, r), None),
    ("POST", "/v1/claims/batch"): lambda w, r: (
        "/v1/claims/batch",
        {"claims": [_claim(w, r)]},
        None,
    ),
    ("GET", "/v1/claims/{claim_id}"): lambda w, r: (f"/v1/claims/{w.claim_id}", None, None),
    ("GET", "/v1/claims"): lambda w, r: ("/v1/claims", None, {"provider_id": w.own}),
    ("GET", "/v1/program"): lambda w, r: ("/v1/program", None, None),
    ("POST", "/v1/fhir/Claim"): lambda w, r: ("/v1/fhir/Claim", _fhir_claim(w, r), None),
    ("GET", "/v1/fhir/ClaimResponse/{claim_id}"): lambda w, r: (
        f"/v1/fhir/ClaimResponse/{w.claim_id}",
        None,
        None,
    ),
    ("GET", "/v1/fhir/ExplanationOfBenefit"): lambda w, r: (
        "/v1/fhir/ExplanationOfBenefit",
        None,
        {"patient": w.client_id},
    ),
    ("POST", "/v1/claims/reviews"): lambda w, r: (
        "/v1/claims/reviews",
        {
            "client_id": w.client_id,
            "service_code": "COMMUNITY_SUPPORT",
            "service_date": "2026-09-16",
            "record_reference": "NOTE-MATRIX",
        },
        None,
    ),
    ("POST", "/v1/claims/{claim_id}/corrections"): lambda w, r: (
        f"/v1/claims/{w.claim_id}/corrections",
        {"units": 1},  # the billed units: changes nothing
        None,
    ),
    ("POST", "/v1/vouchers"): lambda w, r: ("/v1/vouchers", _voucher_body(w, r), None),
    ("GET", "/v1/vouchers/{voucher_id}"): lambda w, r: (
        f"/v1/vouchers/{w.voucher_id}",
        None,
        None,
    ),
    ("POST", "/v1/vouchers/{voucher_id}/selection"): lambda w, r: (
        f"/v1/vouchers/{w.voucher_id}/selection",
        {"provider_id": w.own},  # never moves the voucher away from the own provider
        None,
    ),
    ("POST", "/v1/vouchers/{voucher_id}/admission"): lambda w, r: (
        f"/v1/vouchers/{w.voucher_id}/admission",
        {"admitted_on": _today()},
        None,
    ),
    ("POST", "/v1/vouchers/{voucher_id}/extension"): lambda w, r: (
        f"/v1/vouchers/{w.voucher_id}/extension",
        {
            "new_valid_until": (utc_today() + timedelta(days=400)).isoformat(),
            "reason": "utilisation review: continued need",
        },
        None,
    ),
    ("POST", "/v1/vouchers/{voucher_id}/closure"): lambda w, r: (
        f"/v1/vouchers/{w.closable_voucher_id}/closure",
        {"reason": "moved_out_of_state"},
        None,
    ),
    ("POST", "/v1/vouchers/{voucher_id}/discharge"): lambda w, r: (
        f"/v1/vouchers/{w.voucher_id}/discharge",
        {"discharged_on": _today()},
        None,
    ),
    ("POST", "/v1/clients"): lambda w, r: ("/v1/clients", _intake(), None),
    ("POST", "/v1/clients/{client_id}/eligibility"): lambda w, r: (
        f"/v1/clients/{w.client_id}/eligibility",
        _eligibility(),
        None,
    ),
    ("POST", "/v1/clients/{client_id}/assessments"): lambda w, r: (
        f"/v1/clients/{w.client_id}/assessments",
        _assessment(),
        None,
    ),
    ("POST", "/v1/clients/{client_id}/treatment-status"): lambda w, r: (
        f"/v1/clients/{w.client_id}/treatment-status",
        {"treatment_status": "level_2", "effective_from": _today()},
        None,
    ),
    ("POST", "/v1/clients/{client_id}/religious-objections"): lambda w, r: (
        f"/v1/clients/{w.client_id}/religious-objections",
        {"affiliations": ["Zoroastrian"]},
        None,
    ),
    ("GET", "/v1/clients/{client_id}/choices"): lambda w, r: (
        f"/v1/clients/{w.client_id}/choices",
        None,
        {"service": SERVICE},
    ),
    ("POST", "/v1/clients/{client_id}/choice-lists"): lambda w, r: (
        f"/v1/clients/{w.client_id}/choice-lists",
        {"service_code": SERVICE},
        None,
    ),
    ("POST", "/v1/clients/{client_id}/consents"): lambda w, r: (
        f"/v1/clients/{w.client_id}/consents",
        {"provider_id": w.own, "signed_on": _today()},
        None,
    ),
    ("POST", "/v1/clients/{client_id}/consents/{consent_id}/revocation"): lambda w, r: (
        f"/v1/clients/{w.client_id}/consents/{w.consent_to_revoke}/revocation",
        None,
        None,
    ),
    ("GET", "/v1/clients/{client_id}/assessment-summary"): lambda w, r: (
        f"/v1/clients/{w.client_id}/assessment-summary",
        None,
        None,
    ),
    ("POST", "/v1/clients/{client_id}/gpra"): lambda w, r: (
        f"/v1/clients/{w.client_id}/gpra",
        _gpra("follow_up"),
        None,
    ),
    ("GET", "/v1/clients/{client_id}/gpra/due"): lambda w, r: (
        f"/v1/clients/{w.client_id}/gpra/due",
        None,
        None,
    ),
    ("POST", "/v1/clients/{client_id}/drug-tests"): lambda w, r: (
        f"/v1/clients/{w.client_id}/drug-tests",
        {"tested_on": _today(), "random": True, "result": "negative"},
        None,
    ),
    ("GET", "/v1/reports/gpra"): lambda w, r: ("/v1/reports/gpra", None, {"period": "2027Q2"}),
    ("GET", "/v1/reports/follow-up"): lambda w, r: (
        "/v1/reports/follow-up",
        None,
        {"as_of": _today()},
    ),
    ("GET", "/v1/reports/outcomes"): lambda w, r: (
        "/v1/reports/outcomes",
        None,
        {"period": "2027Q2", "format": "csv"},
    ),
}


def classify(status: int) -> str:
    """The class of an answer (see the module docstring)."""
    if status in (401, 403, 404):
        return str(status)
    if 200 <= status < 300 or 400 <= status < 500:
        return "ok"
    return str(status)


async def _ok(answer: httpx.Response, *codes: int) -> dict[str, Any]:
    assert answer.status_code in (codes or (200, 201)), answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _provider(gateway: httpx.AsyncClient, platform: RunningPlatform) -> str:
    answer = await gateway.post(
        "/v1/providers",
        headers=platform.admin,
        json={
            "provider_id": f"PRV-Z{uuid.uuid4().hex[:8].upper()}",
            "name": "Authorization Matrix Provider",
            "services": [SERVICE],
            "counties": ["Boone"],
        },
    )
    return str((await _ok(answer, 201))["provider_id"])


async def _token(
    gateway: httpx.AsyncClient, platform: RunningPlatform, role: str, **binding: str
) -> tuple[str, str]:
    answer = await gateway.post(
        "/v1/tokens", headers=platform.admin, json={"role": role, "label": "matrix", **binding}
    )
    body = await _ok(answer, 201)
    return str(body["token_id"]), str(body["token"])


async def _world(gateway: httpx.AsyncClient, platform: RunningPlatform) -> World:
    own, other, spare = [await _provider(gateway, platform) for _ in range(3)]
    headers: dict[str, dict[str, str]] = {"none": {}, "admin": platform.admin}
    for role, binding in (
        ("assessor", {}),
        ("doc_thu", {}),
        ("state_system", {}),
        ("provider_own", {"provider_id": own}),
        ("provider_other", {"provider_id": other}),
    ):
        kind = "provider" if role.startswith("provider") else role
        _, token = await _token(gateway, platform, kind, **binding)
        headers[role] = bearer(token)
    token_to_revoke, _ = await _token(gateway, platform, "state_system")
    assessor = headers["assessor"]
    client_id = str(
        (await _ok(await gateway.post("/v1/clients", headers=assessor, json=_intake()), 201))[
            "client_id"
        ]
    )
    base = f"/v1/clients/{client_id}"
    await _ok(await gateway.post(f"{base}/eligibility", headers=assessor, json=_eligibility()))
    await _ok(await gateway.post(f"{base}/assessments", headers=assessor, json=_assessment()))
    await _ok(
        await gateway.post(
            f"{base}/consents", headers=assessor, json={"provider_id": own, "signed_on": _today()}
        )
    )
    revocable = await _ok(
        await gateway.post(
            f"{base}/consents",
            headers=assessor,
            json={"provider_id": other, "signed_on": _today()},
        )
    )
    voucher = await active_voucher(
        gateway,
        assessor=assessor,
        provider=headers["provider_own"],
        provider_id=own,
        client_id=client_id,
        services=[{"service_code": SERVICE, "units": 20}],
    )
    closable = await _ok(
        await gateway.post(
            "/v1/vouchers",
            headers=assessor,
            json={
                "client_id": client_id,
                "authorized_services": [{"service_code": SERVICE, "units": 1}],
            },
        ),
        201,
    )
    world = World(
        headers=headers,
        own=own,
        other=other,
        spare=spare,
        client_id=client_id,
        voucher_id=str(voucher["voucher_id"]),
        closable_voucher_id=str(closable["voucher_id"]),
        claim_id="",
        consent_to_revoke=str(revocable["consent_id"]),
        token_to_revoke=token_to_revoke,
    )
    claim = await _ok(
        await gateway.post(
            "/v1/claims", headers=headers["provider_own"], json=_claim(world, "setup")
        ),
        202,
    )
    world.claim_id = str(claim["claim_id"])
    return world


async def test_every_route_answers_every_role_as_the_table_says(
    gateway: httpx.AsyncClient, platform: RunningPlatform
) -> None:
    openapi = (await gateway.get("/openapi.json")).json()
    routes = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
    }
    assert routes - set(TABLE) == set(), "routes missing from the authorization table"
    assert set(TABLE) - routes == set(), "table rows for routes the gateway no longer has"
    assert set(REQUESTS) == set(TABLE)

    world = await _world(gateway, platform)
    differences = []
    for (method, template), expected in TABLE.items():
        for role in ROLES:
            path, body, params = REQUESTS[(method, template)](world, role)
            if isinstance(body, str):  # an X12 interchange
                x12_headers = {**world.headers[role], "content-type": "application/edi-x12"}
                answer = await gateway.request(
                    method, path, content=body, params=params, headers=x12_headers
                )
            else:
                answer = await gateway.request(
                    method, path, json=body, params=params, headers=world.headers[role]
                )
            got = classify(answer.status_code)
            if got != expected[role]:
                differences.append(
                    f"{method} {template} as {role}: expected {expected[role]}, "
                    f"got {answer.status_code} {answer.text[:200]}"
                )
    assert not differences, "\n".join(differences)


async def test_a_selection_opens_the_client_at_once_and_a_move_closes_it(
    gateway: httpx.AsyncClient, platform: RunningPlatform
) -> None:
    """The defect: another provider's treatment status, GPRA and drug tests for a client
    it has nothing to do with. Read-your-writes: the provider selected a moment ago is
    allowed at once; the one the voucher moved away from keeps the reporting grace."""
    first, second = await _provider(gateway, platform), await _provider(gateway, platform)
    _, assessor_token = await _token(gateway, platform, "assessor")
    assessor = bearer(assessor_token)
    tokens = {
        p: bearer((await _token(gateway, platform, "provider", provider_id=p))[1])
        for p in (first, second)
    }
    client = await _ok(
        await gateway.post(
            "/v1/clients",
            headers=assessor,
            json={**_intake(), "given_name": "Quintessb", "date_of_birth": "1948-03-12"},
        ),
        201,
    )
    base = f"/v1/clients/{client['client_id']}"
    status = {"treatment_status": "level_1", "effective_from": _today()}
    for provider_id in (first, second):
        refused = await gateway.post(
            f"{base}/treatment-status", headers=tokens[provider_id], json=status
        )
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == "client not found"
    voucher = await _ok(
        await gateway.post("/v1/vouchers", headers=assessor, json=_voucher_body_for(client)),
        201,
    )
    url = f"/v1/vouchers/{voucher['voucher_id']}/selection"
    await offer_choices(gateway, assessor, client["client_id"], [SERVICE])

    async def select(provider_id: str) -> None:
        for _ in range(240):  # the provider or the offer may not have reached vouchers yet
            answer = await gateway.post(url, headers=assessor, json={"provider_id": provider_id})
            if answer.status_code == 200:
                return
            assert selection_pending(answer), answer.text
            await asyncio.sleep(0.5)
        raise AssertionError(f"{provider_id} never reached vouchers")

    await select(first)
    allowed = await gateway.get(f"{base}/gpra/due", headers=tokens[first])
    assert allowed.status_code == 200, allowed.text
    assert (await gateway.get(f"{base}/gpra/due", headers=tokens[second])).status_code == 404
    await select(second)  # the client chose again before admission
    assert (await gateway.get(f"{base}/gpra/due", headers=tokens[second])).status_code == 200
    # the first provider keeps the discharge-reporting grace
    assert (await gateway.get(f"{base}/gpra/due", headers=tokens[first])).status_code == 200
    malformed = await gateway.get("/v1/clients/a%20b/gpra/due", headers=tokens[first])
    assert malformed.status_code == 422, malformed.text


def _voucher_body_for(client: dict[str, Any]) -> dict[str, Any]:
    return {
        "client_id": client["client_id"],
        "authorized_services": [{"service_code": SERVICE, "units": 5}],
    }
