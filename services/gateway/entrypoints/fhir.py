"""FHIR R4 routes (SPEC §4 ``/v1/fhir``, provider): a FHIR ``Claim`` in, its
``ClaimResponse`` and the client's ``ExplanationOfBenefit`` resources out.

The Claim's items become claim lines through the same intake as ``POST /v1/claims``
(its catalog checks, its provider binding, its idempotency on ``provider_id`` +
``claim_ref``): :mod:`services.gateway.fhir.claim_in` says how each field maps. A body
that is not a valid FHIR Claim (``fhir.resources``), or cannot be mapped, is a 422
naming the element at fault. Reads are the provider's own lines only: another
provider's claim is 404, another provider's lines are left out of a search.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fhir.resources.R4B.resource import Resource

from contracts.api.claims import CLAIM_PAGE_LIMIT, ClaimStatus
from contracts.api.errors import ERROR_RESPONSES
from contracts.api.payments import Funding
from contracts.fields import ID_PATTERN
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.claims import accept_lines, check_binding, program_today
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward, parser_of
from services.gateway.fhir import claim_in, claim_out, lookup
from services.gateway.service_layer import claims as intake
from services.kit.deps import SettingsDep, UnitsOfWorkDep
from services.kit.http import problem
from services.kit.program import active_catalog

FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = frozenset({FHIR_JSON, "application/json"})
"""Media types a FHIR Claim may be posted as."""
_CLIENT_ID = re.compile(ID_PATTERN)

_RESOURCE_SCHEMA = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}


def _documented(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": description, "content": {FHIR_JSON: {"schema": _RESOURCE_SCHEMA}}}
    }


class FhirResponse(Response):
    """A FHIR resource as ``application/fhir+json``."""

    media_type = FHIR_JSON


def _answer(resource: Resource, status_code: int = 200, **headers: str) -> FhirResponse:
    return FhirResponse(
        resource.model_dump_json(exclude_none=True), status_code=status_code, headers=headers
    )


router = APIRouter(
    prefix="/v1/fhir",
    tags=["fhir"],
    responses=ERROR_RESPONSES,
    default_response_class=FhirResponse,
)


async def _states(
    request: Request, principal: Principal, keys: list[lookup.Key]
) -> list[claim_out.LineState]:
    """Each line as the claims service has it (``received`` until it stored it) with
    payments' funding of the allowed ones (none while payments has not decided, or
    cannot be reached)."""

    async def status_of(key: lookup.Key) -> ClaimStatus | Response:
        answer = await forward(
            request, "claims", f"/claims/{key.claim_id}", principal=principal, method="GET"
        )
        if answer.status_code == 404:
            return ClaimStatus(claim_id=key.claim_id, claim_ref=key.claim_ref, status="received")
        if answer.status_code != 200:
            return answer
        return ClaimStatus.model_validate_json(bytes(answer.body))

    statuses = await asyncio.gather(*(status_of(key) for key in keys))
    for status in statuses:
        if isinstance(status, Response):
            raise HTTPException(503, "the claims service could not answer; retry shortly")
    found = [status for status in statuses if isinstance(status, ClaimStatus)]
    fundings: dict[str, Funding] = {}
    allowed = [status.claim_id for status in found if status.allowed_amount]
    if allowed:
        answer = await forward(
            request,
            "payments",
            "/fundings",
            principal=principal,
            params={"claim_id": allowed},
            method="GET",
        )
        if answer.status_code == 200:
            fundings = parser_of(dict[str, Funding]).validate_json(bytes(answer.body))
    return [
        claim_out.LineState(
            claim_id=key.claim_id,
            claim_ref=key.claim_ref,
            provider_id=key.provider_id,
            client_id=key.client_id,
            status=status,
            funding=fundings.get(key.claim_id),
        )
        for key, status in zip(keys, found, strict=True)
    ]


@router.post(
    "/Claim",
    status_code=202,
    operation_id="submitFhirClaim",
    responses={
        **_documented(202, "Accepted: a ClaimResponse (outcome queued) naming each line."),
        415: {**ERROR_RESPONSES[413], "description": "Not application/fhir+json or JSON."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": _RESOURCE_SCHEMA} for media in sorted(ACCEPTED_TYPES)},
        }
    },
)
async def submit_fhir_claim(
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> Response:
    """Accept a FHIR R4 Claim: each item one claim line, accepted as ``POST
    /v1/claims/batch`` accepts lines (all or none, 409 when a ``claim_ref`` was used for
    another line, the same Claim again returns the same claim ids). 202 with a
    ClaimResponse (outcome ``queued``) whose ``identifier`` lists the claim ids and a
    ``Location`` to read it at; 422 naming the element for a body that is not a valid
    FHIR Claim (``fhir.resources`` R4B) or cannot be mapped; 415 for a media type other
    than ``application/fhir+json`` or ``application/json``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ACCEPTED_TYPES:
        return problem(415, f"send the Claim as {FHIR_JSON} or application/json")
    catalog = active_catalog(settings)
    try:
        claim = claim_in.parse_claim(await request.body())
        mapped = claim_in.claim_lines(claim, catalog)
    except claim_in.FhirClaimError as exc:
        raise RequestValidationError(exc.errors) from None
    lines = [item.line for item in mapped]
    today = program_today(settings)
    errors = intake.service_date_errors(lines, catalog, today, batch=True)
    errors += intake.procedure_code_errors(lines, catalog, batch=True)
    if errors:
        raise RequestValidationError(claim_in.located(mapped, errors))
    check_binding(principal, lines)
    answers = await accept_lines(request, units, principal, lines, today, batch=True)
    if isinstance(answers, Response):
        return answers
    states = [
        claim_out.LineState(
            claim_id=answer.claim_id,
            claim_ref=answer.claim_ref,
            provider_id=line.provider_id,
            client_id=line.client_id,
            status=ClaimStatus(
                claim_id=answer.claim_id,
                claim_ref=answer.claim_ref,
                status="received",
                voucher_id=line.voucher_id,
                billed_units=line.units,
            ),
        )
        for answer, line in zip(answers, lines, strict=True)
    ]
    first = states[0].claim_id
    resource = claim_out.claim_response(first, states, insurer=catalog.name, now=datetime.now(UTC))
    return _answer(resource, 202, Location=f"/v1/fhir/ClaimResponse/{first}")


@router.get(
    "/ClaimResponse/{claim_id}",
    operation_id="readFhirClaimResponse",
    responses=_documented(200, "The ClaimResponse of the Claim the line belongs to."),
)
async def read_claim_response(
    claim_id: PathId,
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> Response:
    """The ClaimResponse of the FHIR Claim whose line has claim id ``claim_id`` (any of
    its lines' ids): every line's adjudication so far, ``outcome`` ``queued``,
    ``partial`` or ``complete``. 404 for an unknown id and another provider's line."""
    async with units() as uow:  # closed before the claims service is asked
        keys = await lookup.claim_group(uow, claim_id)
    if not keys or keys[0].provider_id != principal.provider_id:
        raise HTTPException(404, "claim not found")
    states = await _states(request, principal, keys)
    resource = claim_out.claim_response(
        claim_id, states, insurer=active_catalog(settings).name, now=datetime.now(UTC)
    )
    return _answer(resource)


@router.get(
    "/ExplanationOfBenefit",
    operation_id="searchFhirExplanationOfBenefit",
    responses=_documented(200, "A searchset Bundle of the client's ExplanationOfBenefit."),
)
async def search_explanation_of_benefit(
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    patient: Annotated[
        str,
        Query(
            min_length=1,
            max_length=72,
            pattern=r"^(Patient/)?[A-Za-z0-9_.:-]{1,64}$",
            description="The client id (or Patient/<client id>).",
        ),
    ],
    count: Annotated[int, Query(alias="_count", ge=1, le=CLAIM_PAGE_LIMIT)] = 50,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> Response:
    """A ``searchset`` Bundle with one ExplanationOfBenefit per line of the client's this
    provider submitted, newest first, at most ``_count`` (``total``: how many there are
    in all); with ``payment`` where payments has funded the line. A client without such
    lines is an empty Bundle."""
    client_id = patient.removeprefix("Patient/")
    if not _CLIENT_ID.match(client_id):
        raise RequestValidationError(
            [{"loc": ("query", "patient"), "msg": "must be a client id", "type": "value_error"}]
        )
    async with units() as uow:
        keys, total = await lookup.client_lines(uow, client_id, principal.provider_id, count)
    states = await _states(request, principal, keys)
    insurer, now = active_catalog(settings).name, datetime.now(UTC)
    bundle = claim_out.search_bundle(
        [claim_out.explanation_of_benefit(state, insurer=insurer, now=now) for state in states],
        total,
    )
    return _answer(bundle)
