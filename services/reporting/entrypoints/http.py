"""Reporting's internal HTTP API (called by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter

from services.kit.deps import UnitOfWorkDep
from services.reporting.service_layer.capacity import capacity

router = APIRouter()


@router.get("/reports/capacity", operation_id="readCapacityReport")
async def capacity_report(uow: UnitOfWorkDep) -> dict[str, int]:
    """Access/capacity counters."""
    return await capacity(uow)
