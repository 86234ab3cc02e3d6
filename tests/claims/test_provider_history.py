"""The claims replica keeps when each provider status began (SPEC §3.2: a suspension
binds from when it was set, never re-deciding earlier service dates), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from contracts.providers import ProviderRegistered, ProviderSnapshot, ProviderUpdated
from services.claims.adapters.claim_lines import provider_from_row
from services.claims.adapters.orm import metadata, provider_replica
from services.claims.service_layer.replicas import apply_provider_snapshot
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork


def _event(kind: type, status: str, day: int) -> ProviderRegistered | ProviderUpdated:
    snapshot = ProviderSnapshot(
        provider_id="P1",
        name="P1",
        services=["RECOVERY_MENTORING_IND"],
        counties=["Boone"],
        faith_based=False,
        status=status,
    )
    return kind(subject="P1", time=datetime(2026, 9, day, 12, tzinfo=UTC), data=snapshot)  # type: ignore[no-any-return]


async def test_a_status_change_is_dated_and_a_late_older_snapshot_changes_nothing(
    database_url: str,
) -> None:
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        for event in (
            _event(ProviderRegistered, "active", 1),
            _event(ProviderUpdated, "active", 3),  # a roster change: no new period
            _event(ProviderUpdated, "suspended", 10),
            _event(ProviderUpdated, "active", 2),  # older than what is applied: ignored
        ):
            async with UnitOfWork(db, tables) as uow:
                await apply_provider_snapshot(uow, event)
                await uow.commit()
        async with db.read_sessions() as session:
            row = (await session.execute(select(provider_replica))).one()
    finally:
        await db.dispose()
    provider = provider_from_row(row)
    assert provider.status == "suspended"
    assert provider.history == ((date(2026, 9, 1), "active"), (date(2026, 9, 10), "suspended"))
    assert provider.eligible_on(date(2026, 9, 9))
    assert not provider.eligible_on(date(2026, 9, 10))
