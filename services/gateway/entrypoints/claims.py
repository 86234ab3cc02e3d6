"""Claim routes (SPEC §4): provider EHRs post lines; providers and admins read status.

A provider token acts for its own provider only: a line naming another provider is 403,
another provider's claim reads as 404 (never its data).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from contracts.api.errors import ERROR_RESPONSES
from contracts.claims import SubmitClaim, SubmitClaimBatch
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward
from services.gateway.service_layer import claims as intake
from services.kit.clock import SystemClock
from services.kit.program import active_catalog

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=ERROR_RESPONSES)


def _check_service_dates(request: Request, lines: list[SubmitClaim], *, batch: bool) -> None:
    """422 naming each line whose service date is outside the program's window ("today"
    is the program clock's, as the claim engine reads it for ``FUTURE_DATE``)."""
    settings = request.app.state.runtime.settings
    today = SystemClock(settings.clock_offset_days).today()
    errors = intake.service_date_errors(lines, active_catalog(settings), today, batch=batch)
    if errors:
        raise RequestValidationError(errors)


def _check_binding(principal: Principal, lines: list[SubmitClaim]) -> None:
    for index, line in enumerate(lines):
        if line.provider_id != principal.provider_id:
            where = f"claims[{index}].provider_id" if len(lines) > 1 else "provider_id"
            raise HTTPException(403, f"{where}: this token acts for another provider")


async def _accept(request: Request, lines: list[SubmitClaim]) -> list[intake.Accepted] | Response:
    runtime = request.app.state.runtime
    for attempt in range(2):
        try:
            async with runtime.unit_of_work() as uow:
                answers = await intake.accept_claims(uow, lines, datetime.now(UTC))
                await uow.commit()
            return answers
        except intake.ClaimRefConflictError as exc:
            return JSONResponse(
                status_code=409,
                content={
                    "detail": str(exc),
                    "claim_ref": exc.claim_ref,
                    "claim_id": exc.claim_id,
                },
            )
        except IntegrityError:
            # a concurrent request stored the same (provider_id, claim_ref) first:
            # answer from what it stored
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _line_answer(answer: intake.Accepted) -> dict[str, Any]:
    return {
        "claim_ref": answer.claim_ref,
        "claim_id": answer.claim_id,
        "status": "received",
        "duplicate": answer.duplicate,
    }


@router.post("", status_code=202)
async def submit_claim(
    body: SubmitClaim, request: Request, principal: Principal = Depends(require(Role.PROVIDER))
) -> Any:
    """Accept one claim line (202 with its claim id); the same body again is a duplicate.

    422 if ``service_date`` is before the program's first day or more than 366 days
    ahead (a later date within that is accepted and denied ``FUTURE_DATE``)."""
    _check_service_dates(request, [body], batch=False)
    _check_binding(principal, [body])
    answers = await _accept(request, [body])
    if isinstance(answers, Response):
        return answers
    return JSONResponse(status_code=202, content=_line_answer(answers[0]))


@router.post("/batch", status_code=202)
async def submit_batch(
    body: SubmitClaimBatch,
    request: Request,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> Any:
    """Accept up to 1,000 lines at once, all or none (409 if any ref conflicts; 422
    naming ``claims[i].service_date`` for each line dated outside the window)."""
    _check_service_dates(request, body.claims, batch=True)
    _check_binding(principal, body.claims)
    answers = await _accept(request, body.claims)
    if isinstance(answers, Response):
        return answers
    lines = [_line_answer(a) for a in answers]
    return JSONResponse(
        status_code=202,
        content={
            "claims": lines,
            "accepted": sum(1 for a in answers if not a.duplicate),
            "duplicates": sum(1 for a in answers if a.duplicate),
        },
    )


@router.get("/{claim_id}")
async def claim_status(
    claim_id: PathId,
    request: Request,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> Any:
    """Status (received / pending / approved / partially_approved / denied) and amounts."""
    runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        found = await intake.find_claim(uow, claim_id)
    if found is None or (principal.role is Role.PROVIDER and found[0] != principal.provider_id):
        raise HTTPException(404, "claim not found")
    answer = await forward(request, "claims", f"/claims/{claim_id}", principal=principal)
    if answer.status_code == 404:
        return {"claim_id": claim_id, "claim_ref": found[1], "status": "received"}
    return answer
