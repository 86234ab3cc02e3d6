"""Two payments workers racing for the last dollars of a quarter on PostgreSQL never
overdraw: the fiscal year's row lock makes the second decide on the first's obligations
(SPEC §3.5 "obligations never exceed released allotments")."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

from contracts.api.payments import CreateFiscalYear
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import metadata
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.ledger import check_ledger
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    sqlalchemy_postgres_url,
)
from tests.payments.test_fund_lines import _adjudicated

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
TABLES = add_kit_tables(metadata)


async def test_racing_workers_fund_the_last_dollars_once() -> None:
    name = await create_postgres_database()
    url = sqlalchemy_postgres_url(name)
    await asyncio.to_thread(upgrade_to_head, "payments", url)
    first, second = Database(url), Database(url)
    try:
        async with UnitOfWork(first, TABLES) as uow:
            opening = CreateFiscalYear(fiscal_year=2027, allotments=[0, 95, 0, 0])
            await open_year(uow, opening, None, TODAY)
            await uow.commit()

        async def worker(db: Database, prefix: str) -> None:
            # each worker funds ten 10.00 lines of its own clients, in small batches
            for n in range(0, 10, 2):
                batch = [
                    _adjudicated(f"{prefix}{n + i}", date(2026, 11, 2), "10.00", f"{prefix}C")
                    for i in range(2)
                ]
                async with UnitOfWork(db, TABLES) as uow:
                    await fund_lines(uow, batch, TODAY, NOW)
                    await asyncio.sleep(0.01)  # hold the transaction a moment
                    await uow.commit()

        await asyncio.gather(worker(first, "A"), worker(second, "B"))
        async with UnitOfWork(first, TABLES) as uow:
            funds = await funds_of(uow, 2027, today=TODAY)
            problems = await check_ledger(uow.session)
        assert funds is not None
        assert funds.obligated == Decimal("90.00")  # nine of the twenty lines fit in 95
        assert problems == []
    finally:
        await first.dispose()
        await second.dispose()
        await drop_postgres_database(name)
