"""Provider registry routes (SPEC §4): admin writes, public directory reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.providers import AddStaff, DirectoryEntry, RegisterProvider, UpdateProvider
from contracts.providers import ProviderSnapshot
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward_as

router = APIRouter(prefix="/v1/providers", tags=["providers"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=ProviderSnapshot, operation_id="registerProvider")
async def register_provider(
    body: RegisterProvider, request: Request, principal: Principal = Depends(require(Role.ADMIN))
) -> ProviderSnapshot | Response:
    """Register a provider (admin); eligibility publishes it on ``atr.providers.v1``."""
    return await forward_as(
        request,
        ProviderSnapshot,
        "eligibility",
        "/providers",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.get("", response_model=list[DirectoryEntry], operation_id="listProviders")
async def provider_directory(
    request: Request,
    service: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$")] = None,
    county: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z][A-Za-z .'-]*$")] = None,
    faith_based: bool | None = None,
) -> list[DirectoryEntry] | Response:
    """Public provider directory: no token, no PHI."""
    return await forward_as(
        request,
        list[DirectoryEntry],
        "eligibility",
        "/providers",
        principal=None,
        params={"service": service, "county": county, "faith_based": faith_based},
    )


@router.patch("/{provider_id}", response_model=ProviderSnapshot, operation_id="updateProvider")
async def update_provider(
    provider_id: PathId,
    body: UpdateProvider,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> ProviderSnapshot | Response:
    """Change status (e.g. suspend), services, counties or faith details (admin)."""
    return await forward_as(
        request,
        ProviderSnapshot,
        "eligibility",
        f"/providers/{provider_id}",
        principal=principal,
        json_body=body.model_dump(mode="json", exclude_unset=True),
    )


@router.post(
    "/{provider_id}/staff",
    status_code=201,
    response_model=ProviderSnapshot,
    operation_id="addProviderStaff",
)
async def add_staff(
    provider_id: PathId,
    body: AddStaff,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> ProviderSnapshot | Response:
    """Add a staff member with credentials and experience (admin)."""
    return await forward_as(
        request,
        ProviderSnapshot,
        "eligibility",
        f"/providers/{provider_id}/staff",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )
