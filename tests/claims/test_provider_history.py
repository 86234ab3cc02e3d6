"""The claims replica keeps when each provider status began (SPEC §3.2: a suspension
binds from when it was set, never re-deciding earlier service dates), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from contracts.providers import ProviderRegistered, ProviderSnapshot, ProviderUpdated
from services.claims.adapters.claim_lines import provider_from_row
from services.claims.adapters.orm import metadata, provider_replica
from services.claims.domain.facts import Provider
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


async def test_app_e_6_ineligible_next_fiscal_year_binds_from_the_date_the_registry_set(
    database_url: str,
) -> None:
    """Seed 003 App. E §6: "PIB declared these four providers ineligible for the voucher
    program for the next year" — the registry publishes the first day of that year
    (``ineligible_from``); claims keeps it in the status history. Services rendered while
    the provider was eligible are never denied: the last day of the fiscal year is paid,
    the first day of the next is ``PROVIDER_NOT_ELIGIBLE``. A reinstatement before the
    year turns cancels what was scheduled."""
    tables = add_kit_tables(metadata)
    db = Database(database_url)

    def ineligible(day: int) -> ProviderUpdated:
        event = _event(ProviderUpdated, "ineligible_next_fiscal_year", day)
        data = event.data.model_copy(update={"ineligible_from": date(2027, 7, 1)})
        return event.model_copy(update={"data": data})

    async def apply(*events: ProviderRegistered | ProviderUpdated) -> Provider:
        for event in events:
            async with UnitOfWork(db, tables) as uow:
                await apply_provider_snapshot(uow, event)
                await uow.commit()
        async with db.read_sessions() as session:
            return provider_from_row((await session.execute(select(provider_replica))).one())

    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        provider = await apply(_event(ProviderRegistered, "active", 1), ineligible(5))
        assert provider.eligible_on(date(2027, 6, 30))
        assert not provider.eligible_on(date(2027, 7, 1))
        assert provider.eligible_on(date(2026, 9, 2))
        reinstated = await apply(_event(ProviderUpdated, "active", 20))
        assert reinstated.eligible_on(date(2027, 7, 1))
    finally:
        await db.dispose()
