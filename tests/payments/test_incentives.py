"""The year-end incentive pool (SPEC §3.5; seed 003 §II footnote 2): who completed
successfully, how the pool is shared to the cent, and a worked example on SQLite and
PostgreSQL: distributed once, after the year ended and its holdbacks settled, paid on
the next invoice run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from contracts.api.payments import CreateFiscalYear
from contracts.clients import (
    DrugTestRecorded,
    DrugTestRecordedData,
    GpraRecorded,
    GpraRecordedData,
)
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import completions, drug_tests, metadata
from services.payments.domain.incentives import distribute, successful
from services.payments.service_layer import holdbacks, incentives
from services.payments.service_layer.fiscal_years import funds_of, open_year
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.incentives import (
    FiscalYearNotEndedError,
    FiscalYearNotOpenError,
    HoldbacksOpenError,
    PoolDistributedError,
    distribute_pool,
)
from services.payments.service_layer.invoicing import remittance, remittance_csv, run_invoices
from services.payments.service_layer.ledger import check_ledger
from tests.payments.test_fund_lines import _adjudicated

NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)
DISCHARGED = date(2027, 3, 1)
AFTER_YEAR_END = date(2027, 7, 5)


def _tests(*results: str, until: date = DISCHARGED) -> list[tuple[date, str]]:
    """Random tests a week apart, the last on ``until``, oldest first."""
    return [
        (until - timedelta(weeks=len(results) - 1 - n), result) for n, result in enumerate(results)
    ]


# --- who completed successfully (seed 003 §II footnote 2) ----------------------------


def test_treatment_completed_with_the_last_four_random_tests_negative_is_successful() -> None:
    assert successful(
        "treatment_completed", False, _tests("negative", "negative", "negative", "negative")
    )
    # an older positive is not among the last four
    assert successful(
        "treatment_completed",
        False,
        _tests("positive", "negative", "negative", "negative", "negative"),
    )


def test_a_positive_among_the_last_four_is_not_successful() -> None:
    assert not successful(
        "treatment_completed", False, _tests("negative", "negative", "positive", "negative")
    )
    # the order given does not matter: the dates do
    shuffled = list(reversed(_tests("negative", "negative", "negative", "negative", "positive")))
    assert not successful("treatment_completed", False, shuffled)


def test_fewer_than_four_random_tests_is_not_successful() -> None:
    assert not successful("treatment_completed", False, _tests("negative", "negative", "negative"))
    assert not successful("treatment_completed", False, [])


def test_a_same_day_positive_counts_among_the_last_four() -> None:
    tests = [*_tests("negative", "negative", "negative", "negative"), (DISCHARGED, "positive")]
    tests.append((DISCHARGED, "negative"))
    assert not successful("treatment_completed", False, tests)


def test_a_brief_intervention_is_exempt_from_the_requirement() -> None:
    """Seed 003 §II footnote 2: "This requirement does not apply to brief treatment
    interventions" (their interview takes no discharge reason, item 7.2)."""
    assert successful("treatment_completed", True, [])
    assert successful("treatment_completed", True, _tests("positive"))
    assert successful(None, True, [])
    for reason in ("lost_contact", "transferred", "administrative_discharge"):
        assert not successful(reason, True, [])


def test_without_a_completed_treatment_plan_it_is_not_successful() -> None:
    four = _tests("negative", "negative", "negative", "negative")
    for reason in (None, "lost_contact", "transferred", "administrative_discharge"):
        assert not successful(reason, False, four)


# --- how the pool is shared (SPEC §3.5) ----------------------------------------------


def test_an_equal_split_gives_the_odd_cent_to_the_lowest_provider_id() -> None:
    shares = distribute(Decimal("100.00"), {"P3": 1, "P1": 1, "P2": 1})
    assert shares == {"P1": Decimal("33.34"), "P2": Decimal("33.33"), "P3": Decimal("33.33")}
    assert sum(shares.values()) == Decimal("100.00")


def test_shares_are_proportional_to_completions() -> None:
    assert distribute(Decimal("100.00"), {"P1": 1, "P2": 3}) == {
        "P1": Decimal("25.00"),
        "P2": Decimal("75.00"),
    }
    # the largest remainder takes the cent: 6.666... and 3.333...
    assert distribute(Decimal("10.00"), {"P1": 2, "P2": 1}) == {
        "P1": Decimal("6.67"),
        "P2": Decimal("3.33"),
    }


def test_nothing_is_distributed_without_completions() -> None:
    assert distribute(Decimal("100.00"), {}) == {}
    assert distribute(Decimal("100.00"), {"P1": 0, "P2": 0}) == {}
    assert distribute(Decimal("100.00"), {"P1": 0, "P2": 2}) == {"P2": Decimal("100.00")}
    with pytest.raises(ValueError, match="in cents"):
        distribute(Decimal("1.005"), {"P1": 1})


@given(
    st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100),
    st.dictionaries(
        st.sampled_from([f"P{n}" for n in range(8)]), st.integers(min_value=0, max_value=500)
    ),
)
def test_the_shares_add_up_to_the_pool_and_each_is_within_a_cent(
    pool: Decimal, counts: dict[str, int]
) -> None:
    shares = distribute(pool, counts)
    total = sum(counts.values())
    if total == 0:
        assert shares == {}
        return
    assert sum(shares.values()) == pool
    for provider, share in shares.items():
        exact = pool * counts[provider] / total
        assert share == share.quantize(Decimal("0.01"))
        assert abs(share - exact) < Decimal("0.01")
    assert set(shares) == {p for p, n in counts.items() if n > 0}


# --- a worked example on the database ------------------------------------------------


def _line(claim_id: str, provider: str, voucher: str, client: str, day: date, amount: str):  # type: ignore[no-untyped-def]
    line = _adjudicated(claim_id, day, amount, client=client)
    return line.model_copy(
        update={
            "data": line.data.model_copy(update={"provider_id": provider, "voucher_id": voucher})
        }
    )


def _discharge_gpra(
    client: str,
    provider: str,
    reason: str | None = "treatment_completed",
    *,
    on: date = DISCHARGED,
    brief: bool = False,
    complete: bool = True,
) -> GpraRecorded:
    return GpraRecorded(
        subject=client,
        data=GpraRecordedData(
            client_id=client,
            interview_id=f"I-{client}-{provider}-{on}",
            kind="discharge",
            conducted_on=on,
            complete=complete,
            provider_id=provider,
            discharge_reason=reason,
            brief_intervention=brief,
        ),
    )


def _drug_tests(client: str, *results: str, random: bool = True) -> list[DrugTestRecorded]:
    return [
        DrugTestRecorded(
            subject=client,
            data=DrugTestRecordedData(
                client_id=client,
                test_id=f"T-{client}-{day}-{random}",
                tested_on=day,
                random=random,
                result=result,  # type: ignore[arg-type]
            ),
        )
        for day, result in _tests(*results)
    ]


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


async def _feed(db: Database, tables, events: list[GpraRecorded | DrugTestRecorded]) -> None:  # type: ignore[no-untyped-def]
    async with UnitOfWork(db, tables) as uow:
        for event in events:
            if isinstance(event, GpraRecorded):
                await incentives.record_completion(uow, event)
            else:
                await incentives.record_drug_test(uow, event)
        await uow.commit()


async def test_the_pool_is_shared_by_successful_completions_and_paid_on_the_next_run(  # type: ignore[no-untyped-def]
    database,
) -> None:
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        lines = [
            _line("K1", "P1", "V1", "C1", date(2026, 10, 1), "60.00"),  # holds back 6.00
            _line("K2", "P2", "V2", "C2", date(2026, 10, 2), "40.00"),  # holds back 4.00
        ]
        await fund_lines(uow, lines, NOW.date(), NOW)
        await uow.commit()

    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(FiscalYearNotEndedError):
            await distribute_pool(uow, 2027, date(2027, 6, 30), "tok-admin")
        with pytest.raises(HoldbacksOpenError):
            await distribute_pool(uow, 2027, AFTER_YEAR_END, "tok-admin")
        with pytest.raises(FiscalYearNotOpenError):
            await distribute_pool(uow, 2026, AFTER_YEAR_END, "tok-admin")

    async with UnitOfWork(db, tables) as uow:
        # no discharge reported within 60 days: both holdbacks go to the pool (10.00)
        assert await holdbacks.forfeit_overdue(uow, date(2027, 1, 15)) == 2
        await uow.commit()

    four_negative = ("negative", "negative", "negative", "negative")
    redelivered = _drug_tests("C1", *four_negative)
    await _feed(
        db,
        tables,
        [
            # P1: C1 successful; C3 a brief intervention without tests, successful;
            # C4 a positive among its last four; C7 discharged in the next fiscal year
            _discharge_gpra("C1", "P1"),
            *redelivered,
            *redelivered,  # the same tests again: kept once
            _discharge_gpra("C3", "P1", brief=True),
            _discharge_gpra("C4", "P1"),
            *_drug_tests("C4", "negative", "negative", "positive", "negative"),
            _discharge_gpra("C7", "P1", on=date(2027, 7, 2)),
            *_drug_tests("C7", *four_negative),
            # P2: C2 successful (an older positive), discharged twice: counted once;
            # C5 lost contact; C6 has one random test only; C8's interview incomplete
            _discharge_gpra("C2", "P2"),
            _discharge_gpra("C2", "P2", on=date(2027, 3, 20)),
            *_drug_tests("C2", "positive", *four_negative),
            _discharge_gpra("C5", "P2", "lost_contact"),
            *_drug_tests("C5", *four_negative),
            _discharge_gpra("C6", "P2"),
            *_drug_tests("C6", "negative"),
            *_drug_tests("C6", "negative", "negative", "negative", random=False),
            _discharge_gpra("C8", "P2", complete=False),
            *_drug_tests("C8", *four_negative),
        ],
    )
    async with db.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(drug_tests).where(drug_tests.c.client_id == "C1")
            )
            == 4
        )
        assert await session.scalar(select(func.count()).select_from(completions)) == 8

    async with UnitOfWork(db, tables) as uow:
        distribution = await distribute_pool(uow, 2027, AFTER_YEAR_END, "tok-admin")
        emitted = uow.events_emitted
        await uow.commit()
    assert emitted == 2  # one IncentiveAwarded per provider
    assert (distribution.pool, distribution.distributed, distribution.undistributed) == (
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("0.00"),
    )
    assert [(a.provider_id, a.completions, a.amount) for a in distribution.awards] == [
        ("P1", 2, Decimal("6.67")),
        ("P2", 1, Decimal("3.33")),
    ]
    assert distribution.note is None

    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(PoolDistributedError):
            await distribute_pool(uow, 2027, AFTER_YEAR_END + timedelta(days=30), None)
        funds = await funds_of(uow, 2027, today=AFTER_YEAR_END)
        assert await check_ledger(uow.session) == []
    assert funds is not None
    assert (funds.forfeited, funds.incentives_distributed) == (Decimal("10.00"), Decimal("10.00"))

    async with UnitOfWork(db, tables) as uow:
        # July's run pays what was payable before July 1: not the awards of July 5
        july = await run_invoices(uow, "2027-07", None)
        august = await run_invoices(uow, "2027-08", None)
        await uow.commit()
    assert [(i.provider_id, i.incentives) for i in july.invoices] == [
        ("P1", Decimal("0.00")),
        ("P2", Decimal("0.00")),
    ]
    assert [(i.provider_id, i.lines, i.incentives, i.total) for i in august.invoices] == [
        ("P1", 0, Decimal("6.67"), Decimal("6.67")),
        ("P2", 0, Decimal("3.33"), Decimal("3.33")),
    ]
    assert august.total == Decimal("10.00")

    async with UnitOfWork(db, tables) as uow:
        statement = await remittance(uow, "2027-08", "P1")
        assert await check_ledger(uow.session) == []
    assert statement is not None
    assert statement.invoice_id == "INV-2027-08-P1"
    assert (statement.incentives, statement.total) == (Decimal("6.67"), Decimal("6.67"))
    assert [
        (a.status, a.fiscal_year, a.completions, a.amount) for a in statement.incentive_awards
    ] == [("incentive", 2027, 2, Decimal("6.67"))]
    assert remittance_csv(statement).splitlines()[-1].split(",")[3:8] == [
        "INCENTIVE_POOL_FY2027",
        "2027-07-05",
        "incentive",
        "6.67",
        "6.67",
    ]


async def test_without_successful_completions_the_pool_stays_undistributed(database) -> None:  # type: ignore[no-untyped-def]
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(
            uow, [_line("K1", "P1", "V1", "C1", date(2026, 10, 1), "25.00")], NOW.date(), NOW
        )
        await holdbacks.forfeit_overdue(uow, date(2027, 1, 15))
        await incentives.record_completion(uow, _discharge_gpra("C1", "P1", "lost_contact"))
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        distribution = await distribute_pool(uow, 2027, AFTER_YEAR_END, None)
        assert uow.events_emitted == 0
        await uow.commit()
    assert (distribution.pool, distribution.distributed, distribution.undistributed) == (
        Decimal("2.50"),
        Decimal("0.00"),
        Decimal("2.50"),
    )
    assert distribution.awards == []
    assert distribution.note is not None
    assert "undistributed" in distribution.note
    async with UnitOfWork(db, tables) as uow:
        with pytest.raises(PoolDistributedError):
            await distribute_pool(uow, 2027, AFTER_YEAR_END, None)
        assert await check_ledger(uow.session) == []
        run = await run_invoices(uow, "2027-08", None)
    assert all(invoice.incentives == 0 for invoice in run.invoices)
