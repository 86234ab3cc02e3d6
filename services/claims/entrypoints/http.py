"""The claims service's internal HTTP API: claim status (SPEC §4 ``GET /v1/claims/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from contracts.api.claims import ClaimStatus
from services.claims.adapters.orm import claims
from services.kit.deps import CallerDep, UnitOfWorkDep

router = APIRouter(prefix="/claims")


@router.get("/{claim_id}", response_model=ClaimStatus, operation_id="readClaim")
async def claim_status(claim_id: str, uow: UnitOfWorkDep, actor: CallerDep) -> dict[str, Any]:
    """Status, allowed/denied units and amounts and reasons; 404 for another provider."""
    query = select(claims).where(claims.c.claim_id == claim_id)
    row = (await uow.session.execute(query)).first()
    if row is None or (actor.role == "provider" and row.provider_id != actor.provider_id):
        raise HTTPException(404, "claim not found")
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
