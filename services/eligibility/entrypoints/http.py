"""Eligibility's internal HTTP API (called by the gateway)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from contracts.api.providers import AddStaff, RegisterProvider, UpdateProvider
from services.eligibility.entrypoints.clients import router as clients_router
from services.eligibility.service_layer import providers as provider_cases

router = APIRouter()


@router.post("/providers", status_code=201)
async def register_provider(body: RegisterProvider, request: Request) -> dict[str, Any]:
    """Register a provider; 409 when the id is taken."""
    runtime = request.app.state.runtime
    try:
        async with runtime.unit_of_work() as uow:
            snapshot = await provider_cases.register_provider(uow, body)
            await uow.commit()
    except provider_cases.ProviderExistsError as exc:
        raise HTTPException(409, f"provider {exc} already registered") from exc
    return snapshot.model_dump(mode="json")


@router.get("/providers")
async def directory(
    request: Request,
    service: str | None = None,
    county: str | None = None,
    faith_based: bool | None = None,
) -> list[dict[str, Any]]:
    """Public directory entries."""
    async with request.app.state.runtime.unit_of_work() as uow:
        return await provider_cases.directory(
            uow, service=service, county=county, faith_based=faith_based
        )


@router.patch("/providers/{provider_id}")
async def update_provider(
    provider_id: str, body: UpdateProvider, request: Request
) -> dict[str, Any]:
    """Change a provider's record; 404 when unknown."""
    runtime = request.app.state.runtime
    try:
        async with runtime.unit_of_work() as uow:
            snapshot = await provider_cases.update_provider(uow, provider_id, body)
            await uow.commit()
    except provider_cases.ProviderNotFoundError as exc:
        raise HTTPException(404, "provider not found") from exc
    return snapshot.model_dump(mode="json")


@router.post("/providers/{provider_id}/staff", status_code=201)
async def add_staff(provider_id: str, body: AddStaff, request: Request) -> dict[str, Any]:
    """Add a staff member with credentials; 404 when the provider is unknown."""
    runtime = request.app.state.runtime
    try:
        async with runtime.unit_of_work() as uow:
            snapshot = await provider_cases.add_staff(uow, provider_id, body)
            await uow.commit()
    except provider_cases.ProviderNotFoundError as exc:
        raise HTTPException(404, "provider not found") from exc
    return snapshot.model_dump(mode="json")


router.include_router(clients_router)
