"""Correcting a decided claim line (``POST /v1/claims/{id}/corrections``).

The provider that billed a line (or the administrative agency) reduces it to the units
actually delivered, or voids it with 0 (:func:`~services.claims.domain.correction.correct`).
The correction is a write to the client's lines like a worker's: it locks and moves the
client's head (:func:`~services.claims.adapters.history.advance_heads`), so a worker
deciding the same client's new lines at the same time decides them again on the
corrected history, and every worker's cached history of the client is read again.
The line's row is updated (it moves to the end of the claims list), the correction
kept in ``claim_corrections``, and a ``ClaimCorrected`` event goes out through the
outbox on ``atr.claims.adjudicated.v1`` (keyed by client, after the line's decision):
vouchers give the units back, payments reverses the funding (SPEC §3.5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from contracts.claims import ClaimCorrected, ClaimCorrectedData, CorrectClaim
from contracts.ids import uuid7
from contracts.reasons import Reason
from contracts.topics import CLAIMS_ADJUDICATED
from services.claims.adapters.claim_feed import change_number
from services.claims.adapters.history import advance_heads
from services.claims.adapters.orm import claim_corrections, claims
from services.claims.domain.correction import VOIDED, Correction, correct
from services.claims.domain.model import Decision
from services.kit.actor import Actor
from services.kit.unit_of_work import UnitOfWork


class ClaimNotFoundError(LookupError):
    """No such claim line, or it belongs to another provider."""


def _decision(row: Any) -> Decision:
    """The stored decision of a ``claims`` row (a voided line is decided: 0 of 0)."""
    return Decision(
        billed_units=row.billed_units,
        allowed_units=row.allowed_units,
        unit_rate=row.unit_rate,
        allowed_amount=row.allowed_amount,
        reasons=tuple(Reason(reason) for reason in row.reasons),
        pending=row.status == "pending",
    )


async def correct_claim(
    uow: UnitOfWork, claim_id: str, command: CorrectClaim, actor: Actor, now: datetime
) -> Correction:
    """Apply the correction to the stored line under its client's lock; emit
    ``ClaimCorrected`` when it changes anything. Raises :class:`ClaimNotFoundError`,
    :class:`~services.claims.domain.correction.NotDecidedError` or
    :class:`~services.claims.domain.correction.CorrectionRefusedError`."""
    client_id = await uow.session.scalar(
        select(claims.c.client_id).where(claims.c.claim_id == claim_id)
    )
    if client_id is None:
        raise ClaimNotFoundError(claim_id)
    await advance_heads(uow.session, {client_id})
    row = (await uow.session.execute(select(claims).where(claims.c.claim_id == claim_id))).one()
    if actor.role == "provider" and row.provider_id != actor.provider_id:
        raise ClaimNotFoundError(claim_id)
    correction = correct(_decision(row), command.units)
    if not correction.changes:
        return correction
    after = correction.after
    await uow.session.execute(
        claims.update()
        .where(claims.c.claim_id == claim_id)
        .values(
            status=correction.status,
            billed_units=after.billed_units,
            allowed_units=after.allowed_units,
            denied_units=after.denied_units,
            allowed_amount=after.allowed_amount,
            denied_amount=after.denied_amount,
            allowed_days=_kept_days(row.allowed_days, after.allowed_units),
            changed_in=await change_number(uow.session),
            updated_at=now,
        )
    )
    correction_id = str(uuid7())
    await uow.session.execute(
        claim_corrections.insert().values(
            correction_id=correction_id,
            claim_id=claim_id,
            previous_billed_units=row.billed_units,
            previous_allowed_units=row.allowed_units,
            previous_allowed_amount=row.allowed_amount,
            billed_units=after.billed_units,
            allowed_units=after.allowed_units,
            allowed_amount=after.allowed_amount,
            reason=command.reason,
            corrected_by=actor.token_id,
            corrected_at=now,
        )
    )
    uow.emit(
        CLAIMS_ADJUDICATED,
        ClaimCorrected(
            subject=row.client_id,
            data=ClaimCorrectedData(
                claim_id=claim_id,
                claim_ref=row.claim_ref,
                correction_id=correction_id,
                provider_id=row.provider_id,
                client_id=row.client_id,
                voucher_id=row.voucher_id,
                service_code=row.service_code,
                service_date=row.service_date,
                billed_units=after.billed_units,
                allowed_units=after.allowed_units,
                allowed_amount=after.allowed_amount,
                unit_rate=after.unit_rate,
                previous_billed_units=row.billed_units,
                previous_allowed_units=row.allowed_units,
                previous_allowed_amount=row.allowed_amount,
                voided=correction.status == VOIDED,
                corrected_at=now,
            ),
        ),
    )
    return correction


def _kept_days(days: list[str] | None, allowed_units: int) -> list[str] | None:
    """The days a corrected date-range line still allows: its first ``allowed_units``
    allowed days (a stay that ended early gives back its last nights); None for a
    one-day line."""
    return None if days is None else days[:allowed_units]
