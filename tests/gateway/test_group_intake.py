"""Group commit of claim intake: concurrent requests share commits, each keeps its answer
(SPEC §4: 202 once durable, idempotent on (provider_id, claim_ref), 409 on a reused ref)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contracts.claims import SubmitClaim
from services.gateway.adapters.orm import claim_keys, metadata
from services.gateway.service_layer.claims import ClaimRefConflictError
from services.gateway.service_layer.intake import ClaimIntake
from services.gateway.settings import GatewaySettings
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)


def line(ref: str, units: int = 1, client: str = "CL-1") -> SubmitClaim:
    return SubmitClaim(
        claim_ref=ref,
        provider_id="PRV-1",
        client_id=client,
        voucher_id="VCH-1",
        service_code="RECOVERY_MENTORING_IND",
        service_date=date(2026, 9, 14),
        units=units,
        staff_id="STF-1",
    )


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    settings = GatewaySettings(service="gateway", data_dir=tmp_path, database_url=database_url)
    service = ServiceRuntime("gateway", metadata, settings)
    await asyncio.to_thread(_migrate, service)
    try:
        yield service
    finally:
        await service.db.dispose()


def _migrate(service: ServiceRuntime) -> None:
    from services.kit.migrations import upgrade_to_head

    upgrade_to_head("gateway", service.db.url)


def unit_of_work(runtime: ServiceRuntime) -> UnitOfWork:
    """A unit of work without a relay: the outbox rows stay for the test to count."""
    return UnitOfWork(runtime.db, runtime.tables)


async def _stored(runtime: ServiceRuntime) -> tuple[int, int]:
    async with runtime.db.sessions() as session:
        keys = await session.scalar(select(func.count()).select_from(claim_keys))
        outbox = await session.scalar(select(func.count()).select_from(runtime.tables.outbox))
    return int(keys or 0), int(outbox or 0)


async def test_concurrent_requests_share_commits_and_each_gets_its_own_answer(
    runtime: ServiceRuntime,
) -> None:
    intake = ClaimIntake(lambda: unit_of_work(runtime))
    try:
        answers = await asyncio.gather(*(intake.accept([line(f"R-{n}")], NOW) for n in range(64)))
    finally:
        await intake.close()
    assert [a[0].claim_ref for a in answers] == [f"R-{n}" for n in range(64)]
    assert len({a[0].claim_id for a in answers}) == 64
    assert not any(a[0].duplicate for a in answers)
    assert intake.commits < 64, "concurrent requests were committed together"
    assert await _stored(runtime) == (64, 64)


async def test_a_conflict_refuses_only_its_own_request_and_keeps_nothing_of_it(
    runtime: ServiceRuntime,
) -> None:
    intake = ClaimIntake(lambda: unit_of_work(runtime))
    try:
        first = await intake.accept([line("A")], NOW)
        outcomes = await asyncio.gather(
            intake.accept([line("B"), line("C")], NOW),
            intake.accept([line("D"), line("A", units=2)], NOW),  # A reused with another body
            intake.accept([line("A"), line("B")], NOW),  # A again: duplicate; B: from above
            return_exceptions=True,
        )
    finally:
        await intake.close()
    accepted, conflict, repeated = outcomes
    assert isinstance(conflict, ClaimRefConflictError)
    assert conflict.claim_id == first[0].claim_id
    assert not isinstance(accepted, BaseException)
    assert not isinstance(repeated, BaseException)
    assert [a.duplicate for a in accepted] == [False, False]
    assert repeated[0].claim_id == first[0].claim_id
    assert repeated[0].duplicate
    assert repeated[1].claim_id == accepted[0].claim_id
    assert repeated[1].duplicate
    # A, B, C stored with one event each; nothing of the refused request (D)
    assert await _stored(runtime) == (3, 3)
