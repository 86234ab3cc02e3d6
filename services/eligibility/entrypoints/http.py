"""Eligibility's internal HTTP API (called by the gateway).

Every route needs a signed caller assertion (``ServiceRuntime.http_app``). The provider
directory is public: the gateway signs it as ``anonymous``. Registry changes are the
program office's (``admin`` through the gateway) or a service's (``system``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from contracts.api.providers import AddStaff, RegisterProvider, UpdateProvider
from services.eligibility.entrypoints.clients import router as clients_router
from services.eligibility.service_layer import providers as provider_cases
from services.kit.actor import Actor, current_actor

router = APIRouter()


def registrar(actor: Actor = Depends(current_actor)) -> Actor:
    """The caller, if it may change the provider registry (admin or system), else 403."""
    if actor.role not in ("admin", "system"):
        raise HTTPException(403, "only the program office changes the provider registry")
    return actor


REGISTRAR = [Depends(registrar)]


@router.post("/providers", status_code=201, dependencies=REGISTRAR)
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


@router.patch("/providers/{provider_id}", dependencies=REGISTRAR)
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


@router.post("/providers/{provider_id}/staff", status_code=201, dependencies=REGISTRAR)
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
