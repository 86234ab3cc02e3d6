"""Reporting's outcome read models and the store that reads and writes them (SPEC §3.6):
GPRA interviews with their indicators, vouchers' latest snapshots and assessments, each
keyed by the id the topic gives it so a replayed event changes nothing. No PHI: the
client appears only by its pseudonymous ``client_id``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import JSON, Boolean, Column, Date, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.clients import ClientAssessedData, GpraRecordedData
from contracts.vouchers import VoucherSnapshot
from services.reporting.adapters.orm import metadata
from services.reporting.domain.gpra import AssessmentFact, InterviewFact, VoucherFact

INDICATOR_COLUMNS = ("abstinent", "employed_or_in_school", "no_arrests", "housed", "social_support")

outcome_interviews = Table(
    "outcome_interviews",
    metadata,
    Column("interview_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("conducted_on", Date, nullable=False),
    Column("provider_id", String(64)),
    Column("complete", Boolean, nullable=False),
    Column("discharge_reason", String(40)),
    *(Column(name, Boolean) for name in INDICATOR_COLUMNS),
    Column("sessions", JSON, nullable=False),
    Column("discharged_on", Date),
)

outcome_vouchers = Table(
    "outcome_vouchers",
    metadata,
    Column("voucher_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("provider_id", String(64)),
    Column("admitted_on", Date),
    Column("discharged_on", Date),
)

outcome_assessments = Table(
    "outcome_assessments",
    metadata,
    Column("assessment_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("case_number", Integer, nullable=False),
    Column("assessed_on", Date, nullable=False),
)

OUTCOME_READ_MODELS = (outcome_interviews, outcome_vouchers, outcome_assessments)
"""The outcome tables ``atr reporting rebuild`` empties with the others."""


async def add_interview(session: AsyncSession, data: GpraRecordedData) -> None:
    """Keep a GPRA interview once (a replay of the same interview id is ignored)."""
    known = await session.scalar(
        select(outcome_interviews.c.interview_id).where(
            outcome_interviews.c.interview_id == data.interview_id
        )
    )
    if known is not None:
        return
    outcomes = data.outcomes
    await session.execute(
        outcome_interviews.insert().values(
            interview_id=data.interview_id,
            client_id=data.client_id,
            kind=data.kind,
            conducted_on=data.conducted_on,
            provider_id=data.provider_id,
            complete=data.complete,
            discharge_reason=data.discharge_reason,
            **{name: getattr(outcomes, name) if outcomes else None for name in INDICATOR_COLUMNS},
            sessions={s.category: s.sessions for s in outcomes.sessions} if outcomes else {},
            discharged_on=outcomes.discharged_on if outcomes else None,
        )
    )


async def put_voucher(session: AsyncSession, voucher: VoucherSnapshot) -> None:
    """Keep a voucher's snapshot unless a later version is already kept (events of one
    voucher can be replayed or arrive again; ``version`` orders them)."""
    kept = await session.scalar(
        select(outcome_vouchers.c.version).where(
            outcome_vouchers.c.voucher_id == voucher.voucher_id
        )
    )
    values = {
        "client_id": voucher.client_id,
        "kind": voucher.kind,
        "version": voucher.version,
        "issued_on": voucher.issued_on,
        "provider_id": voucher.provider_id,
        "admitted_on": voucher.admitted_on,
        "discharged_on": voucher.discharged_on,
    }
    if kept is None:
        await session.execute(
            outcome_vouchers.insert().values(voucher_id=voucher.voucher_id, **values)
        )
    elif kept < voucher.version:
        await session.execute(
            outcome_vouchers.update()
            .where(outcome_vouchers.c.voucher_id == voucher.voucher_id)
            .values(**values)
        )


async def add_assessment(session: AsyncSession, data: ClientAssessedData) -> None:
    """Keep an assessment once (it starts an episode: App. E §3 case number)."""
    known = await session.scalar(
        select(outcome_assessments.c.assessment_id).where(
            outcome_assessments.c.assessment_id == data.assessment_id
        )
    )
    if known is None:
        await session.execute(
            outcome_assessments.insert().values(
                assessment_id=data.assessment_id,
                client_id=data.client_id,
                case_number=data.case_number,
                assessed_on=data.assessed_on,
            )
        )


async def interviews_until(session: AsyncSession, until: date) -> list[InterviewFact]:
    """Every interview conducted on or before ``until``."""
    rows = (
        await session.execute(
            select(outcome_interviews)
            .where(outcome_interviews.c.conducted_on <= until)
            .order_by(outcome_interviews.c.conducted_on, outcome_interviews.c.interview_id)
        )
    ).all()
    return [
        InterviewFact(
            interview_id=row.interview_id,
            client_id=row.client_id,
            kind=row.kind,
            conducted_on=row.conducted_on,
            provider_id=row.provider_id,
            discharge_reason=row.discharge_reason,
            indicators={name: getattr(row, name) for name in INDICATOR_COLUMNS},
            sessions=dict(row.sessions or {}),
        )
        for row in rows
    ]


async def vouchers_until(session: AsyncSession, until: date) -> list[VoucherFact]:
    """Every voucher issued on or before ``until``, as last seen."""
    rows = (
        await session.execute(
            select(outcome_vouchers)
            .where(outcome_vouchers.c.issued_on <= until)
            .order_by(outcome_vouchers.c.voucher_id)
        )
    ).all()
    return [
        VoucherFact(
            voucher_id=row.voucher_id,
            client_id=row.client_id,
            kind=row.kind,
            issued_on=row.issued_on,
            provider_id=row.provider_id,
            admitted_on=row.admitted_on,
            discharged_on=row.discharged_on,
        )
        for row in rows
    ]


async def assessments_until(session: AsyncSession, until: date) -> Sequence[AssessmentFact]:
    """Every assessment dated on or before ``until``."""
    rows = (
        await session.execute(
            select(outcome_assessments)
            .where(outcome_assessments.c.assessed_on <= until)
            .order_by(outcome_assessments.c.assessment_id)
        )
    ).all()
    return [AssessmentFact(row.client_id, row.case_number, row.assessed_on) for row in rows]
