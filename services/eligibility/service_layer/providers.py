"""Provider registry use cases (SPEC §3.2): load, decide, save, emit — one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from contracts.api.providers import RegisterProvider
from contracts.providers import ProviderRegistered, ProviderSnapshot
from contracts.topics import PROVIDERS
from services.eligibility.adapters.orm import providers
from services.kit.unit_of_work import UnitOfWork


class ProviderExistsError(Exception):
    """A provider with this id is already registered (HTTP 409)."""

    code = "PROVIDER_EXISTS"
    http_status = 409


async def register_provider(uow: UnitOfWork, command: RegisterProvider) -> ProviderSnapshot:
    """Register a provider as ``active`` and publish ``ProviderRegistered``."""
    provider_id = command.provider_id or f"PRV-{uuid.uuid4().hex[:10].upper()}"
    found = await uow.session.scalar(
        select(providers.c.provider_id).where(providers.c.provider_id == provider_id)
    )
    if found:
        raise ProviderExistsError(provider_id)
    snapshot = ProviderSnapshot(
        provider_id=provider_id,
        name=command.name,
        services=sorted(set(command.services)),
        counties=sorted(set(command.counties)),
        faith_based=command.faith_based,
        religious_affiliation=command.religious_affiliation,
        status="active",
        staff=[],
    )
    now = datetime.now(UTC)
    await uow.session.execute(
        providers.insert().values(
            **snapshot.model_dump(mode="json"), created_at=now, updated_at=now
        )
    )
    uow.emit(PROVIDERS, ProviderRegistered(subject=provider_id, data=snapshot))
    return snapshot


async def directory(
    uow: UnitOfWork, *, service: str | None, county: str | None, faith_based: bool | None
) -> list[dict[str, Any]]:
    """The public directory (SPEC §3.2): eligible providers, filtered; no PHI, no staff."""
    rows = (await uow.session.execute(select(providers).order_by(providers.c.name))).all()
    entries = []
    for row in rows:
        if row.status != "active":
            continue
        if service and service not in row.services:
            continue
        if county and county not in row.counties:
            continue
        if faith_based is not None and row.faith_based != faith_based:
            continue
        entries.append(
            {
                "provider_id": row.provider_id,
                "name": row.name,
                "services": row.services,
                "counties": row.counties,
                "faith_based": row.faith_based,
                "religious_affiliation": row.religious_affiliation,
            }
        )
    return entries
