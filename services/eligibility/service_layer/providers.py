"""Provider registry use cases (SPEC §3.2): load, decide, save, emit — one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from contracts.api.providers import AddStaff, RegisterProvider, UpdateProvider
from contracts.payments import next_fiscal_year_start
from contracts.providers import (
    ProviderRegistered,
    ProviderSnapshot,
    ProviderUpdated,
    StaffSnapshot,
)
from contracts.topics import PROVIDERS
from programs.catalog import Catalog
from services.eligibility.adapters.orm import providers
from services.eligibility.domain.errors import UnknownCredentialError, UnknownExperienceAreaError
from services.kit.provider_status import receives_vouchers_on
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
        providers.insert().values(**_row(snapshot), created_at=now, updated_at=now)
    )
    uow.emit(PROVIDERS, ProviderRegistered(subject=provider_id, data=snapshot))
    return snapshot


def _row(snapshot: ProviderSnapshot) -> dict[str, Any]:
    """The ``providers`` row of a snapshot (JSON values, the date column as a date)."""
    return {**snapshot.model_dump(mode="json"), "ineligible_from": snapshot.ineligible_from}


async def directory(
    uow: UnitOfWork,
    *,
    service: str | None,
    county: str | None,
    faith_based: bool | None,
    on: date,
) -> list[dict[str, Any]]:
    """The public directory (SPEC §3.2): providers eligible ``on`` that day, filtered;
    no PHI, no staff. One ineligible next fiscal year is listed until the year turns
    (seed 003 App. E §6; ``services.kit.provider_status``)."""
    rows = (await uow.session.execute(select(providers).order_by(providers.c.name))).all()
    entries = []
    for row in rows:
        if not receives_vouchers_on(row.status, row.ineligible_from, on):
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


class ProviderNotFoundError(Exception):
    """No provider with this id (HTTP 404)."""


async def _load(uow: UnitOfWork, provider_id: str) -> ProviderSnapshot:
    """The provider's record, locked for this transaction: every caller changes it, and
    two concurrent changes (two staff additions) must not read the same roster and
    each write back its own, losing the other's member."""
    row = (
        await uow.session.execute(
            select(providers).where(providers.c.provider_id == provider_id).with_for_update()
        )
    ).first()
    if row is None:
        raise ProviderNotFoundError(provider_id)
    return ProviderSnapshot.model_validate(
        {field: getattr(row, field) for field in ProviderSnapshot.model_fields}
    )


async def _save(uow: UnitOfWork, snapshot: ProviderSnapshot) -> None:
    await uow.session.execute(
        providers.update()
        .where(providers.c.provider_id == snapshot.provider_id)
        .values(**_row(snapshot), updated_at=datetime.now(UTC))
    )
    uow.emit(PROVIDERS, ProviderUpdated(subject=snapshot.provider_id, data=snapshot))


async def update_provider(
    uow: UnitOfWork, provider_id: str, command: UpdateProvider, today: date
) -> ProviderSnapshot:
    """Change status, services, counties or faith details; publish ``ProviderUpdated``.

    SPEC §3.2: a suspended provider leaves choice lists and takes no new admissions
    (consumers read the status from the snapshot). Seed 003 App. E §6: providers
    "declared ... ineligible for the voucher program for the next year" stay eligible in
    this one: the decision records ``ineligible_from``, the first day of the next fiscal
    year after ``today`` (``contracts.payments.next_fiscal_year_start``); repeating it
    keeps the first date, any other status clears it.
    """
    current = await _load(uow, provider_id)
    changes = command.model_dump(exclude_unset=True)
    for key in ("services", "counties"):
        if key in changes:
            changes[key] = sorted(set(changes[key]))
    status = changes.get("status", current.status)
    if status != "ineligible_next_fiscal_year":
        changes["ineligible_from"] = None
    elif current.status != status or current.ineligible_from is None:
        changes["ineligible_from"] = next_fiscal_year_start(today)
    updated = current.model_copy(update=changes)
    await _save(uow, updated)
    return updated


async def add_staff(
    uow: UnitOfWork, provider_id: str, command: AddStaff, catalog: Catalog
) -> ProviderSnapshot:
    """Add or replace a staff member's credentials (seed 002 qualifications; SPEC §3.2).

    Each credential must be one ``catalog`` (the active program) knows, else
    :class:`UnknownCredentialError` naming ``credentials.<i>`` (a typo would otherwise
    leave the staff member silently unqualified for every service); each experience
    area a target population or a service of the catalog, else
    :class:`UnknownExperienceAreaError` naming ``experience.<i>.area`` (seed 002 §3b,
    §3e: experience counts only with the population or in the service)."""
    known = catalog.credentials()
    unknown = [
        {
            "item": f"credentials.{index}",
            "code": UnknownCredentialError.code,
            "msg": f"{credential!r} is not a credential {catalog.program} knows "
            f"(GET /v1/program lists them)",
        }
        for index, credential in enumerate(command.credentials)
        if credential not in known
    ]
    if unknown:
        raise UnknownCredentialError(problems=unknown)
    areas = catalog.experience_areas()
    stray = [
        {
            "item": f"experience.{index}.area",
            "code": UnknownExperienceAreaError.code,
            "msg": f"{item.area!r} is neither a target population nor a service of "
            f"{catalog.program}",
        }
        for index, item in enumerate(command.experience)
        if item.area not in areas
    ]
    if stray:
        raise UnknownExperienceAreaError(problems=stray)
    current = await _load(uow, provider_id)
    member = StaffSnapshot(**command.model_dump())
    staff = [s for s in current.staff if s.staff_id != command.staff_id] + [member]
    updated = current.model_copy(update={"staff": sorted(staff, key=lambda s: s.staff_id)})
    await _save(uow, updated)
    return updated
