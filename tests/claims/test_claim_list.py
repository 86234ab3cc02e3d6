"""The claims list (SPEC §4 ``GET /v1/claims?updated_since=&status=``) on SQLite and
PostgreSQL: pages in the order lines were last written, following the cursor skips
nothing and repeats nothing while lines are stored and decided between pages (a line
written again is listed again, as it now is), even when a transaction that started
first commits last; a provider sees its own lines only; filters and bad cursors."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.api.claims import ClaimPage, ClaimStatus
from contracts.claims import CorrectClaim
from services.claims.adapters.claim_feed import change_number
from services.claims.adapters.claim_lines import decision_values, line_values
from services.claims.adapters.orm import claims, metadata
from services.claims.domain.claim_feed import BadCursorError, FeedFilter
from services.claims.domain.model import ClaimLine, Decision
from services.claims.service_layer.claim_list import ListRefusedError, list_claims, scope_of
from services.claims.service_layer.corrections import correct_claim
from services.claims.service_layer.worker import ClaimWorker
from services.claims.settings import ClaimsSettings
from services.kit.actor import Actor
from services.kit.migrations import upgrade_to_head
from services.kit.runtime import ServiceRuntime
from tests.claims.test_worker import record, worker  # noqa: F401 (fixture)
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    sqlalchemy_postgres_url,
)

NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)
RATE = Decimal("12.50")
PENDING = Decision(4, 0, None, Decimal("0.00"), pending=True)


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    """The claims service's database, migrated to head."""
    settings = ClaimsSettings(service="claims", data_dir=tmp_path, database_url=database_url)
    service = ServiceRuntime("claims", metadata, settings)
    await asyncio.to_thread(upgrade_to_head, "claims", service.db.url)
    try:
        yield service
    finally:
        await service.db.dispose()


def line(claim_id: str, provider_id: str = "P1") -> ClaimLine:
    return ClaimLine(
        claim_id=claim_id,
        provider_id=provider_id,
        client_id=f"C-{claim_id}",
        voucher_id="V1",
        service_code="RECOVERY_MENTORING_IND",
        service_date=date(2026, 9, 10),
        units=4,
        staff_id="S1",
        claim_ref=f"R-{claim_id}",
        submitted_at=NOW,
    )


def allowed(units: int) -> Decision:
    return Decision(4, units, RATE, RATE * units)


class Writer:
    """Writes ``claims`` rows as the claim store does: every row of one transaction
    carries its :func:`change_number`; each write a second after the last (so a line's
    ``updated_at`` tells its writes apart)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.clock = NOW

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    async def store(self, *lines: ClaimLine) -> None:
        async with self.runtime.unit_of_work() as uow:
            await self.insert(uow.session, *lines)
            await uow.commit()

    async def insert(self, session: AsyncSession, *lines: ClaimLine) -> None:
        at = self.tick()
        changed_in = await change_number(session)
        await session.execute(
            claims.insert(),
            [
                line_values(each, at)
                | decision_values(PENDING, at, None)
                | {"changed_in": changed_in}
                for each in lines
            ],
        )

    async def decide(self, claim_id: str, decision: Decision) -> None:
        async with self.runtime.unit_of_work() as uow:
            at = self.tick()
            await uow.session.execute(
                claims.update()
                .where(claims.c.claim_id == claim_id)
                .values(
                    **decision_values(decision, at, None),
                    changed_in=await change_number(uow.session),
                )
            )
            await uow.commit()


async def page(
    runtime: ServiceRuntime, feed_filter: FeedFilter, cursor: str | None, limit: int
) -> ClaimPage:
    async with runtime.db.read_sessions() as session:
        return await list_claims(session, feed_filter, cursor, limit)


State = tuple[str, str, int, datetime]
"""A line as listed or stored: claim id, status, allowed units, when last written."""


def state(item: ClaimStatus) -> State:
    assert item.updated_at is not None
    return (item.claim_id, item.status, item.allowed_units or 0, _utc(item.updated_at))


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive UTC times."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def current(runtime: ServiceRuntime) -> dict[str, State]:
    async with runtime.db.read_sessions() as session:
        rows = await session.execute(
            select(claims.c.claim_id, claims.c.status, claims.c.allowed_units, claims.c.updated_at)
        )
        return {
            row.claim_id: (row.claim_id, row.status, row.allowed_units, _utc(row.updated_at))
            for row in rows
        }


async def test_pages_skip_nothing_and_repeat_nothing_while_lines_are_written(
    runtime: ServiceRuntime,
) -> None:
    """Lines are stored and decided (and decided again) at random between pages of 3.
    No write of a line is listed twice, each line is listed in the order of its
    writes, and once the list is read to its end each line's last listing is the line
    as it now is."""
    writer = Writer(runtime)
    rng = random.Random(7)
    await writer.store(*(line(f"K{n:02}") for n in range(8)))
    listed: list[State] = []
    cursor, stored = None, 8
    for _ in range(30):
        answer = await page(runtime, FeedFilter(provider_id="P1"), cursor, 3)
        listed += [state(item) for item in answer.items]
        cursor = answer.next_cursor
        for _ in range(rng.randint(0, 3)):
            if rng.random() < 0.4:
                await writer.store(line(f"K{stored:02}"))
                stored += 1
            else:
                await writer.decide(f"K{rng.randrange(stored):02}", allowed(rng.randint(1, 4)))
    while True:
        answer = await page(runtime, FeedFilter(provider_id="P1"), cursor, 3)
        listed += [state(item) for item in answer.items]
        cursor = answer.next_cursor
        if not answer.has_more:
            break
    assert not (await page(runtime, FeedFilter(provider_id="P1"), cursor, 3)).items
    assert len(set(listed)) == len(listed)  # no write listed twice
    final = await current(runtime)
    assert len(final) == stored
    assert {entry[0]: entry for entry in listed} == final  # nothing skipped
    for claim_id in final:
        times = [entry[3] for entry in listed if entry[0] == claim_id]
        assert times == sorted(times)


@pytest.fixture
async def postgres_runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    """The claims service's database on the test PostgreSQL only (concurrent writers)."""
    name = await create_postgres_database()
    url = sqlalchemy_postgres_url(name)
    settings = ClaimsSettings(service="claims", data_dir=tmp_path, database_url=url)
    service = ServiceRuntime("claims", metadata, settings)
    await asyncio.to_thread(upgrade_to_head, "claims", service.db.url)
    try:
        yield service
    finally:
        await service.db.dispose()
        await drop_postgres_database(name)


async def test_a_transaction_that_began_first_and_commits_last_is_not_skipped(
    postgres_runtime: ServiceRuntime,
) -> None:
    """PostgreSQL: A stores a line and holds its transaction open; B stores one after
    and commits. A page read then must not list B's line past A's (its number is
    lower): it waits, and once A commits the next pages list A's line, then B's.
    (SQLite writers are serial, BEGIN IMMEDIATE: B would wait for A there.)"""
    runtime = postgres_runtime
    writer = Writer(runtime)
    await writer.store(line("K0"))
    first = await page(runtime, FeedFilter(), None, 10)
    assert [i.claim_id for i in first.items] == ["K0"]
    async with runtime.unit_of_work() as slow:
        await writer.insert(slow.session, line("A1"))
        await writer.store(line("B1"))
        meanwhile = await page(runtime, FeedFilter(), first.next_cursor, 10)
        assert meanwhile.items == []  # B1 waits behind the running A
        assert meanwhile.next_cursor == first.next_cursor
        await slow.commit()
    after = await page(runtime, FeedFilter(), meanwhile.next_cursor, 10)
    assert [i.claim_id for i in after.items] == ["A1", "B1"]


async def test_a_provider_lists_its_own_lines_and_admin_everyones(
    runtime: ServiceRuntime,
) -> None:
    writer = Writer(runtime)
    await writer.store(line("K1", "P1"), line("K2", "P2"), line("K3", "P1"))
    provider = Actor(role="provider", token_id="t-p1", provider_id="P1")
    admin = Actor(role="admin", token_id="t-a")
    own = await page(runtime, FeedFilter(provider_id=scope_of(provider, None)), None, 10)
    assert [i.claim_id for i in own.items] == ["K1", "K3"]
    assert scope_of(provider, "P1") == "P1"
    with pytest.raises(ListRefusedError):
        scope_of(provider, "P2")
    for role in ("state_system", "assessor", "doc_thu"):
        with pytest.raises(ListRefusedError):
            scope_of(Actor(role=role, token_id="t"), None)
    everyone = await page(runtime, FeedFilter(provider_id=scope_of(admin, None)), None, 10)
    assert [i.claim_id for i in everyone.items] == ["K1", "K2", "K3"]
    one = await page(runtime, FeedFilter(provider_id=scope_of(admin, "P2")), None, 10)
    assert [i.claim_id for i in one.items] == ["K2"]


async def test_status_and_updated_since_filter_and_bind_the_cursor(
    runtime: ServiceRuntime,
) -> None:
    writer = Writer(runtime)
    await writer.store(line("K1"), line("K2"), line("K3"))
    await writer.decide("K1", allowed(4))
    await writer.decide("K2", Decision(4, 0, RATE, Decimal("0.00")))
    since = writer.clock  # K2's decision
    await writer.decide("K3", allowed(2))
    approved = await page(runtime, FeedFilter(status="approved"), None, 10)
    assert [(i.claim_id, i.status) for i in approved.items] == [("K1", "approved")]
    pending = await page(runtime, FeedFilter(status="pending"), None, 10)
    assert pending.items == []
    recent = await page(runtime, FeedFilter(updated_since=since), None, 10)
    assert [(i.claim_id, i.status) for i in recent.items] == [
        ("K2", "denied"),
        ("K3", "partially_approved"),
    ]
    assert recent.items[0].updated_at is not None
    with pytest.raises(BadCursorError, match="other filters"):
        await page(runtime, FeedFilter(status="denied"), approved.next_cursor, 10)
    for bad in ("x", "bm90IGpzb24", "WzEsMiwzXQ"):
        with pytest.raises(BadCursorError):
            await page(runtime, FeedFilter(), bad, 10)


async def test_the_workers_writes_and_corrections_move_lines_on(
    worker: ClaimWorker,  # noqa: F811
) -> None:
    """The real writers number their transactions: the worker's decisions are listed,
    and a correction lists the corrected line again, after the cursor."""
    assert await worker.process([record("K1", 10, 0), record("K2", 11, 1)]) == 2
    runtime = worker.runtime
    first = await page(runtime, FeedFilter(provider_id="P1"), None, 10)
    assert [(i.claim_id, i.status) for i in first.items] == [("K1", "approved"), ("K2", "denied")]
    async with runtime.unit_of_work() as uow:
        await correct_claim(
            uow,
            "K1",
            CorrectClaim(units=0, reason="billed in error"),
            Actor(role="provider", token_id="t", provider_id="P1"),
            NOW + timedelta(days=1),
        )
        await uow.commit()
    later = await page(runtime, FeedFilter(provider_id="P1"), first.next_cursor, 10)
    assert [(i.claim_id, i.status) for i in later.items] == [("K1", "voided")]
    assert later.items[0].updated_at is not None
    assert later.items[0].updated_at.replace(tzinfo=UTC) == NOW + timedelta(days=1)
