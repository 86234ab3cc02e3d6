"""Holdbacks per provider episode (SPEC §3.5), on SQLite and PostgreSQL: released once
the provider reported the discharge and a complete GPRA discharge interview, forfeited
to the fiscal year's incentive pool 60 days after the last service without them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear
from contracts.clients import GpraRecorded, GpraRecordedData
from contracts.vouchers import DischargedData, VoucherDischarged, VoucherSnapshot
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import holdbacks, metadata
from services.payments.service_layer import holdbacks as service
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from tests.payments.test_fund_lines import _adjudicated

NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)


def _discharge(voucher_id: str, client_id: str, provider_id: str = "P1") -> VoucherDischarged:
    snapshot = VoucherSnapshot(
        voucher_id=voucher_id,
        client_id=client_id,
        kind="service",
        status="discharged",
        version=4,
        issued_on=date(2026, 7, 1),
        valid_from=date(2026, 7, 1),
        valid_until=date(2027, 6, 30),
        provider_id=provider_id,
        discharged_on=date(2026, 10, 15),
    )
    return VoucherDischarged(
        subject=voucher_id,
        data=DischargedData(
            voucher=snapshot,
            provider_id=provider_id,
            discharged_on=date(2026, 10, 15),
            reason="completed",
        ),
    )


def _gpra(client_id: str, *, complete: bool = True, provider_id: str = "P1") -> GpraRecorded:
    return GpraRecorded(
        subject=client_id,
        data=GpraRecordedData(
            client_id=client_id,
            interview_id=f"I-{client_id}-{provider_id}-{complete}",
            kind="discharge",
            conducted_on=date(2026, 10, 16),
            complete=complete,
            provider_id=provider_id,
        ),
    )


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(db, tables) as uow:
        await open_year(
            uow, CreateFiscalYear(fiscal_year=2027, total=Decimal(1000)), None, NOW.date()
        )
        await uow.commit()
    yield db, tables
    await db.dispose()


async def _states(db: Database) -> dict[tuple[str, str], Decimal]:
    async with db.sessions() as session:
        rows = await session.execute(select(holdbacks))
        return {(row.voucher_id, row.state): row.amount for row in rows}


async def test_released_with_discharge_and_complete_gpra_forfeited_when_overdue(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    lines = [
        _adjudicated("A1", date(2026, 10, 1), "10.00", client="C1"),
        _adjudicated("A2", date(2026, 10, 2), "10.00", client="C1"),
        _adjudicated("B1", date(2026, 8, 1), "10.00", client="C2"),
    ]
    lines[2] = lines[2].model_copy(
        update={"data": lines[2].data.model_copy(update={"voucher_id": "V2"})}
    )
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, lines, NOW.date(), NOW)
        await uow.commit()
    assert await _states(db) == {("V1", "open"): Decimal("2.00"), ("V2", "open"): Decimal("1.00")}

    async with UnitOfWork(db, tables) as uow:
        # the discharge alone, an incomplete interview, another provider's: not enough
        await service.on_discharge(uow, _discharge("V1", "C1"), NOW.date())
        await service.on_gpra(uow, _gpra("C1", complete=False), NOW.date())
        await service.on_gpra(uow, _gpra("C1", provider_id="P9"), NOW.date())
        assert uow.events_emitted == 0
        await service.on_gpra(uow, _gpra("C1"), NOW.date())
        assert uow.events_emitted == 1  # HoldbackReleased
        await uow.commit()
    assert (await _states(db))[("V1", "released")] == Decimal("2.00")

    async with UnitOfWork(db, tables) as uow:
        # B's last service was Aug 1: on Sep 30 it is not overdue yet, on Oct 1 it is
        assert await service.forfeit_overdue(uow, date(2026, 9, 30)) == 0
        assert await service.forfeit_overdue(uow, date(2026, 10, 1)) == 1
        await uow.commit()
    assert await _states(db) == {
        ("V1", "released"): Decimal("2.00"),
        ("V2", "forfeited"): Decimal("1.00"),
    }

    # a later line on the released episode is released at once (discharge and GPRA in)
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(
            uow, [_adjudicated("A3", date(2026, 10, 3), "5.00", client="C1")], NOW.date(), NOW
        )
        await uow.commit()
    assert (await _states(db))[("V1", "released")] == Decimal("2.50")

    async with UnitOfWork(db, tables) as uow:
        funds = await funds_of(uow, 2027, today=NOW.date())
    assert funds is not None
    assert (funds.held_back, funds.released, funds.forfeited) == (
        Decimal("3.50"),
        Decimal("2.50"),
        Decimal("1.00"),
    )
