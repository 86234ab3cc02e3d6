"""The ledger's invariants (SPEC §3.5): sound after every step of random claim streams
(approvals, denials, corrections, dates across quarters, discharges with GPRA
interviews, forfeiture, monthly runs, the year-end incentive pool paid), and every kind
of damage is reported;
``atr payments check``."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from contracts.api.payments import CreateFiscalYear
from services.cli import main
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import (
    fundings,
    incentive_distributions,
    invoices,
    metadata,
    quarter_totals,
)
from services.payments.service_layer import holdbacks, incentives
from services.payments.service_layer.adjustments import apply_corrections
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.incentives import IncentiveError, distribute_pool
from services.payments.service_layer.invoicing import RunExistsError, run_invoices
from services.payments.service_layer.ledger import check_ledger
from tests.payments.test_adjustments import corrected
from tests.payments.test_fund_lines import _adjudicated
from tests.payments.test_holdbacks import _discharge, _gpra
from tests.payments.test_incentives import _discharge_gpra

START = date(2026, 7, 1)
NOW = datetime(2027, 6, 30, tzinfo=UTC)
YEAR_END = date(2027, 9, 1)
TABLES = add_kit_tables(metadata)

Step = tuple[str, int, int, int]
"""(kind, day offset from Jul 1, client number, amount in dollars)."""

steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "claim",
                "claim",
                "claim",
                "denied",
                "correct",
                "correct",
                "discharge",
                "forfeit",
                "run",
                "incentives",
            ]
        ),
        st.integers(min_value=0, max_value=360),
        st.integers(min_value=1, max_value=4),
        st.integers(min_value=1, max_value=60),
    ),
    min_size=1,
    max_size=15,
)


async def _play(db: Database, stream: list[Step]) -> None:
    async with UnitOfWork(db, TABLES) as uow:
        allotments = [Decimal(100), Decimal(50), Decimal(0), Decimal(80)]
        await open_year(uow, CreateFiscalYear(fiscal_year=2027, allotments=allotments), None, START)
        await uow.commit()
    approved: dict[str, Decimal] = {}
    """Claim id -> its allowed amount now (what a correction reduces)."""
    for n, (kind, offset, client, dollars) in enumerate(stream):
        day = START + timedelta(days=offset)
        async with UnitOfWork(db, TABLES) as uow:
            if kind in ("claim", "denied"):
                amount = f"{dollars if kind == 'claim' else 0}.00"
                line = _adjudicated(f"K{n}", day, amount, client=f"C{client}")
                line = line.model_copy(
                    update={"data": line.data.model_copy(update={"voucher_id": f"V{client}"})}
                )
                await fund_lines(uow, [line], day + timedelta(days=1), NOW)
                if kind == "claim":
                    approved[line.data.claim_id] = line.data.allowed_amount
            elif kind == "correct":
                if not approved:
                    continue
                # one of the approved lines reduced to 0 (void), a third or two thirds
                claim_id = sorted(approved)[dollars % len(approved)]
                before = approved[claim_id]
                after = (before * (dollars % 3) / 3).quantize(Decimal("0.01"))
                approved[claim_id] = after
                event = corrected(claim_id, str(before), str(after), n=n, day=day)
                await apply_corrections(uow, [event], day + timedelta(days=1), NOW)
            elif kind == "discharge":
                await holdbacks.on_discharge(uow, _discharge(f"V{client}", f"C{client}"), day)
                await holdbacks.on_gpra(uow, _gpra(f"C{client}"), day)
            elif kind == "forfeit":
                await holdbacks.forfeit_overdue(uow, day)
            elif kind == "incentives":
                # after the year: every holdback settled, the pool shared, then paid
                await holdbacks.forfeit_overdue(uow, YEAR_END)
                completion = _discharge_gpra(f"C{client}", "P1", on=day, brief=True)
                await incentives.record_completion(uow, completion)
                try:
                    await distribute_pool(uow, 2027, YEAR_END, None)
                    await run_invoices(uow, f"{YEAR_END.year}-{YEAR_END.month + 1:02d}", None)
                except (IncentiveError, RunExistsError):
                    pass
            else:
                try:
                    await run_invoices(uow, f"{day.year}-{day.month:02d}", None)
                except RunExistsError:
                    continue
            await uow.commit()
        async with UnitOfWork(db, TABLES) as uow:
            assert await check_ledger(uow.session) == [], (n, kind)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps)
def test_the_ledger_stays_sound_after_every_step(stream: list[Step]) -> None:
    """Steps come in random order, dates too: a clock set back must not break it either."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'payments.db'}"

        async def play() -> None:
            db = Database(url)
            try:
                async with db.engine.begin() as connection:
                    await connection.run_sync(metadata.create_all)
                await _play(db, stream)
            finally:
                await db.dispose()

        asyncio.run(play())


async def test_damage_is_reported(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, "payments", database_url)
    db = Database(database_url)
    try:
        await _play(
            db,
            [
                ("claim", 5, 1, 40),
                ("claim", 6, 1, 50),
                ("claim", 100, 2, 30),
                ("incentives", 200, 2, 1),
            ],
        )
        async with UnitOfWork(db, TABLES) as uow:
            funds = await funds_of(uow, 2027, today=YEAR_END)
        assert funds is not None
        # 10 % of 90.00 and of 30.00 forfeited, all of it awarded to P1 and paid in October
        assert (funds.forfeited, funds.incentives_distributed) == (Decimal(12), Decimal(12))
        async with db.sessions() as session, session.begin():
            await session.execute(
                update(incentive_distributions).values(undistributed=Decimal("0.01"))
            )
            await session.execute(update(invoices).values(incentives=Decimal(11)))
            await session.execute(
                update(fundings).where(fundings.c.claim_id == "K0").values(payable=Decimal(37))
            )
            await session.execute(
                update(quarter_totals)
                .where(quarter_totals.c.quarter == 1)
                .values(obligated=Decimal(500))
            )
        async with UnitOfWork(db, TABLES) as uow:
            problems = await check_ledger(uow.session)
    finally:
        await db.dispose()
    assert any(p.startswith("line K0: payable 37") for p in problems), problems
    assert any("FY2027 Q1: quarter sums differ" in p for p in problems), problems
    assert any("FY2027: incentive awards 12.00 + undistributed 0.01" in p for p in problems)
    assert any(p.startswith("invoice INV-2027-10-P1: differs") for p in problems), problems


def test_the_check_command_says_whether_the_ledger_is_sound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}"
    upgrade_to_head("payments", url)

    async def play() -> None:
        db = Database(url)
        try:
            await _play(db, [("claim", 5, 1, 40), ("run", 40, 1, 1)])
        finally:
            await db.dispose()

    asyncio.run(play())
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["payments", "check"]) == 0
    assert "ledger sound" in capsys.readouterr().out
