"""X12 routes: provider EHRs post 837P claim interchanges and read their remittances as
835 (005010X222A1 in; 999, TA1, 277CA and 005010X221A1 out; validated with pyx12).

``POST /v1/x12/837`` (provider token; body ``application/edi-x12`` or ``text/plain``)
answers ``200`` with a JSON :class:`~contracts.api.x12.X12Acknowledgement`: the 999, a
TA1 when the interchange envelope is in error, the 277CA and each claim's lines with the
claim ids ``POST /v1/claims`` gives them. A malformed interchange is still answered
``200``: its 999 (IK3 naming the segment, IK5/AK9 ``R``) or TA1 is the answer, and no
claim of what was rejected is taken. A body that is no interchange at all (no ISA
segment) has nothing to acknowledge in X12: ``400`` naming ``ISA``; another content
type ``415``.

``GET /v1/x12/835?invoice_run=`` (provider: its own; admin names ``provider_id``) is the
remittance ``GET /v1/remittances?period=`` shows, as an 835: same lines, same totals.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from contracts.api.claims import ClaimStatus
from contracts.api.errors import ERROR_RESPONSES, documented
from contracts.api.payments import Remittance
from contracts.api.x12 import X12_MEDIA_TYPE, X12Acknowledgement
from contracts.claims import SubmitClaim
from contracts.fields import ID_PATTERN
from services.gateway.domain import x12_out
from services.gateway.domain.tokens import Principal, Role
from services.gateway.domain.x12_837 import NotX12Error
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.claims import (
    claim_intake,
    conflict_check,
    earlier_claim_lookup,
    earlier_claim_voider,
    program_today,
)
from services.gateway.entrypoints.proxy import forward, forward_as
from services.gateway.service_layer import claims as intake
from services.gateway.service_layer import frequency
from services.gateway.service_layer.claims import Accepted
from services.gateway.service_layer.x12 import take_837
from services.kit.deps import SettingsDep, UnitsOfWorkDep
from services.kit.http import problem
from services.kit.program import active_catalog

router = APIRouter(prefix="/v1/x12", tags=["x12"], responses=ERROR_RESPONSES)

X12_CONTENT_TYPES = frozenset({X12_MEDIA_TYPE, "text/plain"})


def _control_number() -> int:
    """An interchange control number for what the gateway sends (nine digits)."""
    return int(time.time() * 10) % 900_000_000 + 1


@router.post(
    "/837",
    response_model=X12Acknowledgement,
    operation_id="submitX12Claims",
    responses={
        400: documented(
            400, "The body is not an X12 interchange (no ISA segment).", "ISA: not an X12 ..."
        ),
        415: documented(
            415,
            "The body is not application/edi-x12 or text/plain.",
            "send the interchange as application/edi-x12 or text/plain",
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                X12_MEDIA_TYPE: {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
async def submit_837(
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> X12Acknowledgement | Response:
    """Take an 837P interchange (005010X222A1): its 999, the 277CA per claim and each
    claim's accepted lines (the claims of the token's provider; see the module
    docstring for the answers to a malformed interchange)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in X12_CONTENT_TYPES:
        return problem(415, f"send the interchange as {X12_MEDIA_TYPE} or text/plain")
    try:
        text = (await request.body()).decode("ascii")
    except UnicodeDecodeError:
        return problem(400, "ISA: an X12 interchange is ASCII text")
    provider_id = principal.provider_id
    if provider_id is None:  # a provider token always names its provider
        raise HTTPException(403, "this token acts for no provider")
    today = program_today(settings)

    async def accept(lines: list[SubmitClaim]) -> list[Accepted]:
        return await frequency.take_lines(
            lines,
            earlier_claim_lookup(units),
            earlier_claim_voider(request, principal),
            lambda new: claim_intake(request, units).accept(new, datetime.now(UTC), today),
            batch=True,
            vet=conflict_check(units),
        )

    try:
        return await take_837(
            text,
            provider_id=provider_id,
            catalog=active_catalog(settings),
            today=today,
            accept=accept,
            control=_control_number(),
            now=datetime.now(UTC),
        )
    except NotX12Error as exc:
        return problem(400, f"ISA: not an X12 interchange ({exc})")


@router.get(
    "/835",
    operation_id="readX12Remittance",
    response_class=Response,
    responses={200: {"content": {X12_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
async def read_835(
    request: Request,
    units: UnitsOfWorkDep,
    settings: SettingsDep,
    invoice_run: Annotated[
        str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    ],
    provider_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)
    ] = None,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> Response:
    """The provider's remittance of an invoice run (``invoice_run`` is the run id, its
    month) as an 835: the statement ``GET /v1/remittances`` gives, every line a CLP
    with the EHR's claim reference, its reasons as CARC/RARC (``contracts/x12_codes``),
    BPR02 the statement's total. A provider reads its own; an admin names
    ``provider_id``; 404 before the run."""
    if principal.role is Role.PROVIDER:
        if provider_id not in (None, principal.provider_id):
            raise HTTPException(404, "no such statement")
        provider_id = principal.provider_id
    if provider_id is None:
        raise RequestValidationError(
            [{"loc": ("query", "provider_id"), "msg": "name the provider", "type": "missing"}]
        )
    statement = await forward_as(
        request,
        Remittance,
        "payments",
        "/remittances",
        principal=principal,
        params={"period": invoice_run, "provider_id": provider_id},
    )
    if isinstance(statement, Response):
        return statement
    catalog = active_catalog(settings)
    details: dict[str, x12_out.LineDetail] = {}
    async with units() as uow:  # closed before the claims service is asked
        refs = {
            line.claim_id: await intake.find_claim(uow, line.claim_id) for line in statement.lines
        }
    for line in statement.lines:
        found = refs.get(line.claim_id)
        hcpcs = catalog.hcpcs_of(line.service_code)
        detail = x12_out.LineDetail(
            claim_ref=found[1] if found else line.claim_id,
            procedure_code=hcpcs.code if hcpcs else None,
        )
        decided = await forward(request, "claims", f"/claims/{line.claim_id}", principal=principal)
        if decided.status_code == 200:
            status = ClaimStatus.model_validate_json(bytes(decided.body))
            detail = x12_out.LineDetail(
                claim_ref=detail.claim_ref,
                procedure_code=detail.procedure_code,
                billed_units=status.billed_units,
                allowed_units=status.allowed_units,
                denied_amount=status.denied_amount or Decimal("0.00"),
                reasons=tuple(status.reasons),
                service_date_to=status.service_date_to,
            )
        details[line.claim_id] = detail
    body = x12_out.remittance_835(
        statement, details, control=_control_number(), now=datetime.now(UTC)
    )
    return Response(body, media_type=X12_MEDIA_TYPE)
