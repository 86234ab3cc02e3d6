"""Eligibility's internal HTTP API (called by the gateway).

Every route needs a signed caller assertion (``ServiceRuntime.http_app``). The provider
directory is public: the gateway signs it as ``anonymous``. Registry changes are the
program office's (``admin`` through the gateway) or a service's (``system``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from contracts.api.providers import AddStaff, DirectoryEntry, RegisterProvider, UpdateProvider
from contracts.providers import ProviderSnapshot
from services.eligibility.entrypoints.clients import router as clients_router
from services.eligibility.service_layer import providers as provider_cases
from services.kit.actor import Actor
from services.kit.deps import CallerDep, SettingsDep, UnitOfWorkDep
from services.kit.program import active_catalog

router = APIRouter()


async def registrar(actor: CallerDep) -> Actor:
    """The caller, if it may change the provider registry (admin or system), else 403."""
    if actor.role not in ("admin", "system"):
        raise HTTPException(403, "only the program office changes the provider registry")
    return actor


REGISTRAR = [Depends(registrar)]


@router.post(
    "/providers",
    status_code=201,
    dependencies=REGISTRAR,
    response_model=ProviderSnapshot,
    operation_id="registerProvider",
)
async def register_provider(body: RegisterProvider, uow: UnitOfWorkDep) -> ProviderSnapshot:
    """Register a provider; 409 when the id is taken."""
    try:
        snapshot = await provider_cases.register_provider(uow, body)
    except provider_cases.ProviderExistsError as exc:
        raise HTTPException(409, f"provider {exc} already registered") from exc
    await uow.commit()
    return snapshot


@router.get("/providers", response_model=list[DirectoryEntry], operation_id="listProviders")
async def directory(
    request: Request,
    uow: UnitOfWorkDep,
    service: str | None = None,
    county: str | None = None,
    faith_based: bool | None = None,
) -> object:
    """Public directory entries (providers eligible today)."""
    return await provider_cases.directory(
        uow,
        service=service,
        county=county,
        faith_based=faith_based,
        on=request.app.state.clock.today(),
    )


@router.patch(
    "/providers/{provider_id}",
    dependencies=REGISTRAR,
    response_model=ProviderSnapshot,
    operation_id="updateProvider",
)
async def update_provider(
    provider_id: str, body: UpdateProvider, request: Request, uow: UnitOfWorkDep
) -> ProviderSnapshot:
    """Change a provider's record; 404 when unknown."""
    try:
        snapshot = await provider_cases.update_provider(
            uow, provider_id, body, request.app.state.clock.today()
        )
    except provider_cases.ProviderNotFoundError as exc:
        raise HTTPException(404, "provider not found") from exc
    await uow.commit()
    return snapshot


@router.post(
    "/providers/{provider_id}/staff",
    status_code=201,
    dependencies=REGISTRAR,
    response_model=ProviderSnapshot,
    operation_id="addProviderStaff",
)
async def add_staff(
    provider_id: str, body: AddStaff, uow: UnitOfWorkDep, settings: SettingsDep
) -> ProviderSnapshot:
    """Add a staff member with credentials; 404 when the provider is unknown, 422
    naming ``credentials.<i>`` for a credential the active program does not know."""
    try:
        snapshot = await provider_cases.add_staff(uow, provider_id, body, active_catalog(settings))
    except provider_cases.ProviderNotFoundError as exc:
        raise HTTPException(404, "provider not found") from exc
    await uow.commit()
    return snapshot


router.include_router(clients_router)
