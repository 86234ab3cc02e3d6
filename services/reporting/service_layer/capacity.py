"""Access/capacity counters of the GPRA report (SPEC §3.6, seed 003 §VI-3)."""

from __future__ import annotations

from sqlalchemy import select, update

from contracts.providers import ProviderRegistered
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import program_counters

PROVIDERS_DESIGNATED = "providers_designated"


async def increment(uow: UnitOfWork, name: str, by: int = 1) -> None:
    """Add ``by`` to a counter (not idempotent by itself: the consumer guard makes it so)."""
    result = await uow.session.execute(
        update(program_counters)
        .where(program_counters.c.name == name)
        .values(value=program_counters.c.value + by)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await uow.session.execute(program_counters.insert().values(name=name, value=by))


async def count_provider_designated(uow: UnitOfWork, _event: ProviderRegistered) -> None:
    """Each registered provider counts once toward "providers designated"."""
    await increment(uow, PROVIDERS_DESIGNATED)


async def capacity(uow: UnitOfWork) -> dict[str, int]:
    """All access/capacity counters."""
    rows = (await uow.session.execute(select(program_counters))).all()
    return {row.name: row.value for row in rows}
