"""Reporting's internal HTTP API (called by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.reporting.service_layer.capacity import capacity

router = APIRouter()


@router.get("/reports/capacity")
async def capacity_report(request: Request) -> dict[str, int]:
    """Access/capacity counters."""
    async with request.app.state.runtime.unit_of_work() as uow:
        return await capacity(uow)
