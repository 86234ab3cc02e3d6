"""Local replicas of other services' facts, kept from their topics (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from contracts.providers import ProviderRegistered, ProviderUpdated
from services.claims.adapters.orm import provider_replica
from services.kit.unit_of_work import UnitOfWork


async def apply_provider_snapshot(
    uow: UnitOfWork, event: ProviderRegistered | ProviderUpdated
) -> None:
    """Upsert the provider snapshot unless a newer one is already applied."""
    snapshot = event.data
    current = await uow.session.scalar(
        select(provider_replica.c.as_of).where(
            provider_replica.c.provider_id == snapshot.provider_id
        )
    )
    values = {
        "status": snapshot.status,
        "services": snapshot.services,
        "staff": [member.model_dump(mode="json") for member in snapshot.staff],
        "as_of": event.time,
    }
    if current is None:
        await uow.session.execute(
            provider_replica.insert().values(provider_id=snapshot.provider_id, **values)
        )
    elif _aware(current) <= event.time:
        await uow.session.execute(
            provider_replica.update()
            .where(provider_replica.c.provider_id == snapshot.provider_id)
            .values(**values)
        )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
