"""Corrections of decided lines (SPEC §3.4 amounts, §3.5 "never silently changed"), on
SQLite and PostgreSQL: the pure rule (only ever fewer units, at the line's rate; 0
voids) and the write (under the client's lock: the worker's cached history of the
client is read again, so units a correction frees are allowed to the next line)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.claims import CorrectClaim
from contracts.reasons import Reason
from services.claims.adapters.history import read_heads
from services.claims.adapters.orm import claim_corrections, claims
from services.claims.domain.correction import (
    CorrectionRefusedError,
    NotDecidedError,
    correct,
)
from services.claims.domain.model import Decision
from services.claims.service_layer.corrections import ClaimNotFoundError, correct_claim
from services.claims.service_layer.worker import ClaimWorker
from services.kit.actor import Actor
from tests.claims.test_worker import record, stored, worker  # noqa: F401 (fixture)

PROVIDER = Actor(role="provider", token_id="tok-p1", provider_id="P1")
LATER = datetime(2026, 9, 20, 12, tzinfo=UTC)


def test_a_correction_reduces_at_the_line_rate_and_never_adds() -> None:
    decided = Decision(4, 3, Decimal("12.50"), Decimal("37.50"), (Reason.WEEKLY_LIMIT,))
    reduced = correct(decided, 2)
    assert (reduced.after.billed_units, reduced.after.allowed_units) == (2, 2)
    assert reduced.after.allowed_amount == Decimal("25.00")
    assert reduced.status == "approved"
    assert reduced.changes
    # fewer billed, but still more than allowed: the allowed units stay
    kept = correct(decided, 3)
    assert (kept.after.allowed_units, kept.after.allowed_amount) == (3, Decimal("37.50"))
    assert kept.after.reasons == (Reason.WEEKLY_LIMIT,)
    voided = correct(decided, 0)
    assert (voided.status, voided.after.allowed_amount) == ("voided", Decimal("0.00"))
    assert not correct(decided, 4).changes  # the same units again: nothing changes
    with pytest.raises(CorrectionRefusedError):
        correct(decided, 5)
    with pytest.raises(NotDecidedError):
        correct(Decision(4, 0, None, Decimal("0.00"), pending=True), 1)


async def test_a_correction_frees_units_for_the_next_line(worker: ClaimWorker) -> None:  # noqa: F811
    """The voucher authorises 4 units: K1 takes them, K2 is denied. K1 reduced to 1
    gives 3 back: K3 (3 units) is approved, decided on the corrected history although
    the worker had the client's history cached."""
    assert await worker.process([record("K1", 10, 0), record("K2", 11, 1)]) == 2
    async with worker.runtime.db.read_sessions() as session:
        head = (await read_heads(session, {"C1"}))["C1"]
    async with worker.runtime.unit_of_work() as uow:
        correction = await correct_claim(
            uow, "K1", CorrectClaim(units=1, reason="billed in error"), PROVIDER, LATER
        )
        emitted = uow.events_emitted
        await uow.commit()
    assert correction.status == "approved"
    assert correction.after.allowed_amount == correction.before.allowed_amount / 4
    assert emitted == 1  # ClaimCorrected
    async with worker.runtime.db.read_sessions() as session:
        assert (await read_heads(session, {"C1"}))["C1"] == head + 1
        row = (await session.execute(select(claims).where(claims.c.claim_id == "K1"))).one()
        kept = (await session.execute(select(claim_corrections))).one()
    assert (row.billed_units, row.allowed_units, row.denied_units) == (1, 1, 0)
    assert (kept.previous_allowed_units, kept.allowed_units, kept.reason) == (
        4,
        1,
        "billed in error",
    )
    assert await worker.process([record("K3", 12, 2, units=3)]) == 1
    assert (await stored(worker))["K3"] == ("approved", 3)

    async with worker.runtime.unit_of_work() as uow:  # the same correction again
        await correct_claim(uow, "K1", CorrectClaim(units=1), PROVIDER, LATER)
        assert uow.events_emitted == 0
        await uow.commit()
    async with worker.runtime.unit_of_work() as uow:
        voided = await correct_claim(uow, "K1", CorrectClaim(units=0), PROVIDER, LATER)
        await uow.commit()
    assert voided.status == "voided"
    assert (await stored(worker))["K1"] == ("voided", 0)
    assert await worker.process([record("K4", 13, 3, units=1)]) == 1
    assert (await stored(worker))["K4"] == ("approved", 1)


async def test_only_the_lines_provider_corrects_and_only_downwards(worker: ClaimWorker) -> None:  # noqa: F811
    assert await worker.process([record("K1", 10, 0)]) == 1
    other = Actor(role="provider", token_id="tok-p2", provider_id="P2")
    async with worker.runtime.unit_of_work() as uow:
        with pytest.raises(ClaimNotFoundError):
            await correct_claim(uow, "K1", CorrectClaim(units=1), other, LATER)
    async with worker.runtime.unit_of_work() as uow:
        with pytest.raises(ClaimNotFoundError):
            await correct_claim(uow, "NOPE", CorrectClaim(units=1), PROVIDER, LATER)
    async with worker.runtime.unit_of_work() as uow:
        with pytest.raises(CorrectionRefusedError):
            await correct_claim(uow, "K1", CorrectClaim(units=5), PROVIDER, LATER)
    assert (await stored(worker))["K1"] == ("approved", 4)
