"""The claims service's internal HTTP API (SPEC §4 ``/v1/claims``): a claim's status
and corrections of decided lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select

from contracts.api.claims import ClaimStatus
from contracts.claims import CorrectClaim
from services.claims.adapters.orm import claims
from services.claims.domain.correction import CorrectionRefusedError, NotDecidedError
from services.claims.service_layer.corrections import ClaimNotFoundError, correct_claim
from services.kit.deps import CallerDep, UnitOfWorkDep
from services.kit.http import problem, validation_problem

router = APIRouter(prefix="/claims")


@router.get("/{claim_id}", response_model=ClaimStatus, operation_id="readClaim")
async def claim_status(claim_id: str, uow: UnitOfWorkDep, actor: CallerDep) -> dict[str, Any]:
    """Status, allowed/denied units and amounts and reasons; 404 for another provider."""
    query = select(claims).where(claims.c.claim_id == claim_id)
    row = (await uow.session.execute(query)).first()
    if row is None or (actor.role == "provider" and row.provider_id != actor.provider_id):
        raise HTTPException(404, "claim not found")
    return _status(row)


@router.post("/{claim_id}/corrections", response_model=ClaimStatus, operation_id="correctClaim")
async def correct(
    claim_id: str, body: CorrectClaim, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> dict[str, Any] | Response:
    """Reduce or void a decided line (its provider or the administrative agency):
    404 for another provider's line, 409 while pending, 422 naming ``units`` when the
    correction would add units; the corrected line's status otherwise."""
    if actor.role not in {"provider", "admin"}:
        raise HTTPException(403, "only the line's provider or the administrative agency")
    try:
        await correct_claim(uow, claim_id, body, actor, request.app.state.clock.now())
    except ClaimNotFoundError:
        raise HTTPException(404, "claim not found") from None
    except NotDecidedError as exc:
        return problem(409, str(exc))
    except CorrectionRefusedError as exc:
        return validation_problem(
            [{"loc": ["body", "units"], "msg": str(exc), "type": "value_error"}]
        )
    await uow.commit()
    async with request.app.state.runtime.db.read_sessions() as session:
        row = (await session.execute(select(claims).where(claims.c.claim_id == claim_id))).one()
    return _status(row)


def _status(row: Any) -> dict[str, Any]:
    return {
        "claim_id": row.claim_id,
        "claim_ref": row.claim_ref,
        "provider_id": row.provider_id,
        "client_id": row.client_id,
        "voucher_id": row.voucher_id,
        "service_code": row.service_code,
        "service_date": row.service_date.isoformat(),
        "status": row.status,
        "billed_units": row.billed_units,
        "allowed_units": row.allowed_units,
        "denied_units": row.denied_units,
        "unit_rate": None if row.unit_rate is None else str(row.unit_rate),
        "allowed_amount": str(row.allowed_amount),
        "denied_amount": str(row.denied_amount),
        "reasons": row.reasons,
        "submitted_at": row.submitted_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "funding_status": None,
    }
