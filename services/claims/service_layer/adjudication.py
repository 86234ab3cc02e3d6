"""Deciding claim lines in order, writing results and events in one transaction.

Used by the batch worker (new lines) and by the voucher consumer (pending lines whose
voucher state has arrived). Lines of one client are decided strictly in the order they
were received; a client with a pending line keeps later lines pending behind it, so
client-level limits always see the same order as the submissions (SPEC §2 keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedData, ClaimSubmittedData
from contracts.topics import CLAIMS_ADJUDICATED
from contracts.vouchers import VoucherSnapshot
from programs.catalog import Catalog
from services.claims.adapters.orm import claims
from services.claims.domain import checks
from services.claims.domain.engine import evaluate
from services.claims.domain.model import ClaimLine, ClientHistory, Decision, PriorLine
from services.claims.service_layer.history import lock_claim_writes
from services.claims.service_layer.state import BatchState
from services.kit.unit_of_work import UnitOfWork

UNREACHABLE = "unreachable"
"""Marker in the authoritative-voucher map: the vouchers service could not be asked."""


@dataclass(frozen=True)
class Received:
    """A claim line as the worker got it, with its submission time."""

    line: ClaimLine
    data: Mapping[str, Any]
    claim_ref: str
    submitted_at: datetime


def to_line(data: ClaimSubmittedData) -> Received:
    """The engine's view of a submitted claim."""
    line = ClaimLine(
        claim_id=data.claim_id,
        provider_id=data.provider_id,
        client_id=data.client_id,
        voucher_id=data.voucher_id,
        service_code=data.service_code,
        service_date=data.service_date,
        units=data.units,
        staff_id=data.staff_id,
        start_time=data.start_time,
        end_time=data.end_time,
        group_size=data.group_size,
        client_signature=data.client_signature,
        face_to_face=data.face_to_face,
        miles=data.miles,
        pass_type=data.pass_type,
        pass_serial=data.pass_serial,
        pass_price=data.pass_price,
        activity=data.activity,
    )
    return Received(
        line=line,
        data=data.model_dump(mode="json"),
        claim_ref=data.claim_ref,
        submitted_at=data.submitted_at,
    )


def decide(
    received: Received,
    state: BatchState,
    catalog: Catalog,
    today: date,
    authoritative: Mapping[str, VoucherSnapshot | str | None],
    *,
    lag_pends: bool = False,
) -> Decision | None:
    """The decision on one line, or None to pend it (SPEC §3.4 "event lag").

    When the only fault is voucher state this worker may not have seen yet, the
    vouchers service's answer decides: if it acknowledged the admission for this
    provider before the claim was submitted, the line is decided on that state; if it
    cannot be asked right now, the line is pended (never denied for the lag).
    ``lag_pends`` treats every voucher not in ``authoritative`` as "cannot be asked".
    """
    claim = received.line
    if claim.client_id in state.pending_clients:
        return None
    voucher = state.vouchers.get(claim.voucher_id)
    provider = state.providers.get(claim.provider_id)
    client = state.clients.get(claim.client_id)
    reasons = checks.voucher_reasons(
        claim,
        voucher,
        provider,
        today=today,
        client_eligible=client.eligible if client else None,
    )
    if reasons and set(reasons) <= checks.LAG_REASONS:
        truth = authoritative.get(claim.voucher_id, UNREACHABLE if lag_pends else None)
        if truth == UNREACHABLE:
            return None
        if isinstance(truth, VoucherSnapshot):
            behind = checks.voucher_reasons(
                claim, truth, provider, today=today, client_eligible=None
            )
            recorded = truth.admission_recorded_at
            if not (set(behind) & checks.LAG_REASONS) and (
                recorded is not None and recorded <= received.submitted_at
            ):
                # the vouchers service already acknowledged the admission: decide on its
                # state now instead of waiting for the event
                voucher = truth
                state.vouchers[claim.voucher_id] = truth
                reasons = checks.voucher_reasons(
                    claim,
                    voucher,
                    provider,
                    today=today,
                    client_eligible=client.eligible if client else None,
                )
    rate = _rate(catalog, claim.service_code)
    if reasons:
        return checks.denied(claim, reasons, rate)
    assert voucher is not None
    prior = state.prior_of(claim.client_id)
    if prior.duplicate_of(claim) is not None:
        return checks.denied(claim, ["DUPLICATE_CLAIM"], rate)
    history = ClientHistory(
        prior_lines=prior,
        statuses=client.statuses if client else (),
        staff=state.staff_record(claim.provider_id, claim.staff_id),
        attributes=client.attributes if client else frozenset(),
        minor=client.minor if client else False,
        episode_start=voucher.valid_from,
        episode_end=voucher.valid_until,
    )
    decision = evaluate(catalog, claim, history)
    usage = state.usage.setdefault(claim.voucher_id, checks.VoucherUsage())
    return checks.cap_by_voucher(decision, claim, voucher, usage)


def _rate(catalog: Catalog, code: str) -> Decimal | None:
    try:
        return catalog.rate_of(code)
    except KeyError:
        return None


def record(state: BatchState, claim: ClaimLine, decision: Decision) -> None:
    """Make an allowed line visible to the next lines of the same batch."""
    if decision.allowed_units <= 0 and decision.allowed_amount <= 0:
        return
    state.usage.setdefault(claim.voucher_id, checks.VoucherUsage()).add(
        claim.service_code, decision.allowed_units, decision.allowed_amount
    )
    state.prior_of(claim.client_id).append(
        allowed_line(claim, decision.allowed_units, decision.allowed_amount)
    )


def allowed_line(claim: ClaimLine, units: int, amount: Decimal) -> PriorLine:
    """How later claims of the client see an allowed line."""
    return PriorLine(
        claim_id=claim.claim_id,
        provider_id=claim.provider_id,
        voucher_id=claim.voucher_id,
        service_code=claim.service_code,
        service_date=claim.service_date,
        allowed_units=units,
        allowed_amount=amount,
        start_time=claim.start_time,
        end_time=claim.end_time,
        miles=claim.miles,
        pass_type=claim.pass_type,
        activity=claim.activity,
        face_to_face=claim.face_to_face,
    )


async def next_decision_seq(uow: UnitOfWork) -> int:
    """The next decision sequence number (decision order across the service)."""
    current = await uow.session.scalar(select(func.max(claims.c.decision_seq)))
    return int(current or 0) + 1


def result_values(decision: Decision, now: datetime, seq: int | None) -> dict[str, Any]:
    """Column values of a decided line."""
    denied_amount = Decimal("0.00")
    if decision.unit_rate is not None:
        denied_amount = decision.unit_rate * decision.denied_units
    return {
        "status": decision.outcome,
        "allowed_units": decision.allowed_units,
        "denied_units": decision.denied_units,
        "unit_rate": decision.unit_rate,
        "allowed_amount": decision.allowed_amount,
        "denied_amount": denied_amount.quantize(Decimal("0.01")),
        "reasons": list(decision.reasons),
        "decided_at": now,
        "decision_seq": seq,
    }


def pending_values(now: datetime) -> dict[str, Any]:
    """Column values of a pended line."""
    return {
        "status": "pending",
        "allowed_units": 0,
        "denied_units": 0,
        "unit_rate": None,
        "allowed_amount": Decimal("0.00"),
        "denied_amount": Decimal("0.00"),
        "reasons": [],
        "decided_at": None,
        "decision_seq": None,
    }


def emit_result(uow: UnitOfWork, received: Received, values: Mapping[str, Any]) -> None:
    """Publish the decision on ``atr.claims.adjudicated.v1`` (through the outbox)."""
    claim = received.line
    uow.emit(
        CLAIMS_ADJUDICATED,
        ClaimAdjudicated(
            subject=claim.client_id,
            data=ClaimAdjudicatedData(
                claim_id=claim.claim_id,
                claim_ref=received.claim_ref,
                provider_id=claim.provider_id,
                client_id=claim.client_id,
                voucher_id=claim.voucher_id,
                service_code=claim.service_code,
                service_date=claim.service_date,
                billed_units=claim.units,
                allowed_units=values["allowed_units"],
                denied_units=values["denied_units"],
                unit_rate=values["unit_rate"],
                allowed_amount=values["allowed_amount"],
                denied_amount=values["denied_amount"],
                outcome=values["status"],
                reasons=values["reasons"],
                adjudicated_at=values["decided_at"],
            ),
        ),
    )


def decide_all(
    batch: Sequence[Received],
    state: BatchState,
    catalog: Catalog,
    *,
    today: date,
    now: datetime,
    authoritative: Mapping[str, VoucherSnapshot | str | None],
    lag_pends: bool = False,
) -> list[tuple[Received, dict[str, Any]]]:
    """Decide ``batch`` in order, in memory; returns each line with its column values.

    Pure: nothing is written. Pended lines mark their client as pending so later lines
    of that client wait behind them. Decided lines get their ``decision_seq`` and their
    event from :func:`write_decisions`, inside the transaction that stores them.
    """
    results: list[tuple[Received, dict[str, Any]]] = []
    for received in batch:
        decision = decide(received, state, catalog, today, authoritative, lag_pends=lag_pends)
        if decision is None:
            state.pending_clients.add(received.line.client_id)
            results.append((received, pending_values(now)))
            continue
        record(state, received.line, decision)
        results.append((received, result_values(decision, now, None)))
    return results


async def write_decisions(
    uow: UnitOfWork, results: Sequence[tuple[Received, dict[str, Any]]]
) -> None:
    """Number the decided lines in decision order and emit their events (outbox).

    Runs inside the writing transaction, so ``decision_seq`` continues the stored
    sequence without gaps or repeats.
    """
    await number_decisions(uow, results)
    emit_decisions(uow, results)


async def number_decisions(
    uow: UnitOfWork, results: Sequence[tuple[Received, dict[str, Any]]]
) -> None:
    """Give the decided lines their ``decision_seq`` (decision order across the service).

    Takes the claim-write lock first, so numbers commit in the order they are given.
    """
    await lock_claim_writes(uow.session)
    seq = await next_decision_seq(uow)
    for _, values in results:
        if values["status"] == "pending":
            continue
        values["decision_seq"] = seq
        seq += 1


def emit_decisions(uow: UnitOfWork, results: Sequence[tuple[Received, dict[str, Any]]]) -> None:
    """Emit the decided lines' events, in order (pended lines emit nothing yet).

    The events carry no decision number, so a worker emits them before it waits for the
    writer's turn and keeps that turn short.
    """
    for received, values in results:
        if values["status"] != "pending":
            emit_result(uow, received, values)
