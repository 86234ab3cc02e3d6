"""The read models' writers: each applies one kind of event to its table (SPEC §3.6;
the contracts in ``contracts/``). They are called by the idempotent consumers (the
processed-events guard makes each event apply once) and by the rebuild's replay."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, select, update

from contracts.claims import ClaimAdjudicated, ClaimCorrected
from contracts.clients import ChoiceExceptionRecorded
from contracts.payments import (
    AdministrativeCostRecorded,
    FiscalYearOpened,
    FundingAdjusted,
    HoldbackForfeited,
    HoldbackReleased,
    IncentiveAwarded,
    InvoiceIssued,
    LineFunded,
)
from contracts.providers import ProviderRegistered
from contracts.vouchers import VoucherIssued, VoucherProviderSelected
from services.kit.bulk import insert_rows
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters.orm import (
    administrative_costs,
    allotments,
    choice_exceptions,
    claim_lines,
    holdback_settlements,
    incentive_awards,
    invoices,
    line_fundings,
    proposed_costs,
    providers_designated,
    self_referrals,
    vouchers_issued,
)


async def apply_claim_events(
    uow: UnitOfWork, events: Sequence[ClaimAdjudicated | ClaimCorrected]
) -> None:
    """Decisions and corrections on ``atr.claims.adjudicated.v1``, in topic order: a
    decision stores the line; a correction replaces its billed and allowed units and its
    allowed amount (contracts/claims.py ``ClaimCorrectedData``: "the line as it now
    stands")."""
    decided = {e.data.claim_id: e.data for e in events if isinstance(e, ClaimAdjudicated)}
    if decided:
        await uow.session.execute(delete(claim_lines).where(claim_lines.c.claim_id.in_(decided)))
        await insert_rows(
            uow.session,
            claim_lines,
            [
                {
                    "claim_id": d.claim_id,
                    "provider_id": d.provider_id,
                    "client_id": d.client_id,
                    "voucher_id": d.voucher_id,
                    "service_code": d.service_code,
                    "service_date": d.service_date,
                    "billed_units": d.billed_units,
                    "allowed_units": d.allowed_units,
                    "denied_units": d.denied_units,
                    "unit_rate": d.unit_rate,
                    "allowed_amount": d.allowed_amount,
                    "denied_amount": d.denied_amount,
                    "outcome": d.outcome,
                    "reasons": ",".join(sorted(set(d.reasons))),
                    "corrected": False,
                    "voided": False,
                }
                for d in decided.values()
            ],
        )
    for event in events:
        if isinstance(event, ClaimCorrected):
            c = event.data
            await uow.session.execute(
                update(claim_lines)
                .where(claim_lines.c.claim_id == c.claim_id)
                .values(
                    billed_units=c.billed_units,
                    allowed_units=c.allowed_units,
                    allowed_amount=c.allowed_amount,
                    corrected=True,
                    voided=c.voided,
                )
            )


async def fiscal_year_opened(uow: UnitOfWork, event: FiscalYearOpened) -> None:
    """A fiscal year's four quarterly allotments (SPEC §3.5)."""
    data = event.data
    await uow.session.execute(
        delete(allotments).where(allotments.c.fiscal_year == data.fiscal_year)
    )
    await insert_rows(
        uow.session,
        allotments,
        [
            {"fiscal_year": data.fiscal_year, "quarter": quarter, "amount": amount}
            for quarter, amount in enumerate(data.allotments, start=1)
        ],
    )


async def proposed_costs_of_year(uow: UnitOfWork, event: FiscalYearOpened) -> None:
    """The state's per-person cost ranges for the year (seed 003 App. G)."""
    data = event.data
    await uow.session.execute(
        delete(proposed_costs).where(proposed_costs.c.fiscal_year == data.fiscal_year)
    )
    await insert_rows(
        uow.session,
        proposed_costs,
        [
            {
                "fiscal_year": data.fiscal_year,
                "modality": costs.modality,
                "low": costs.low,
                "high": costs.high,
                "justification": costs.justification,
            }
            for costs in data.proposed_costs
        ],
    )


async def administrative_cost_recorded(uow: UnitOfWork, event: AdministrativeCostRecorded) -> None:
    """An administrative expense (seed 003 App. B); the same reference replaces it."""
    data = event.data
    await uow.session.execute(
        delete(administrative_costs).where(administrative_costs.c.reference == data.reference)
    )
    await uow.session.execute(
        administrative_costs.insert().values(
            reference=data.reference,
            fiscal_year=data.fiscal_year,
            quarter=data.quarter,
            category=data.category,
            amount=data.amount,
        )
    )


async def line_funded(uow: UnitOfWork, event: LineFunded) -> None:
    """A line's funding decision (SPEC §3.5 cumulative ceiling): funded whole or not."""
    data = event.data
    await uow.session.execute(
        delete(line_fundings).where(line_fundings.c.claim_id == data.claim_id)
    )
    await uow.session.execute(
        line_fundings.insert().values(
            claim_id=data.claim_id,
            provider_id=data.provider_id,
            client_id=data.client_id,
            service_code=data.service_code,
            service_date=data.service_date,
            fiscal_year=data.fiscal_year,
            quarter=data.quarter,
            funded=data.funded,
            amount=data.amount if data.funded else Decimal("0.00"),
            reason=data.reason.value if data.reason else None,
        )
    )


async def funding_adjusted(uow: UnitOfWork, event: FundingAdjusted) -> None:
    """A funded line's correction: its funded amount becomes the corrected one (the
    difference goes back to the quarter, SPEC §3.5)."""
    await uow.session.execute(
        update(line_fundings)
        .where(line_fundings.c.claim_id == event.data.claim_id)
        .values(amount=event.data.amount)
    )


async def holdback_released(uow: UnitOfWork, event: HoldbackReleased) -> None:
    """An episode's holdback paid to its provider (discharge and GPRA reported)."""
    await _settled(uow, event, "released")


async def holdback_forfeited(uow: UnitOfWork, event: HoldbackForfeited) -> None:
    """An episode's holdback forfeited to the incentive pool (outcomes not reported
    within 60 days of the last service, SPEC §3.5)."""
    await _settled(uow, event, "forfeited")


async def _settled(uow: UnitOfWork, event: HoldbackReleased | HoldbackForfeited, kind: str) -> None:
    data = event.data
    await uow.session.execute(
        holdback_settlements.insert().values(
            event_id=str(event.id),
            kind=kind,
            provider_id=data.provider_id,
            voucher_id=data.voucher_id,
            fiscal_year=data.fiscal_year,
            amount=data.amount,
            settled_on=data.settled_on,
        )
    )


async def incentive_awarded(uow: UnitOfWork, event: IncentiveAwarded) -> None:
    """A provider's share of a year's incentive pool (SPEC §3.5; seed 003 §II fn. 2)."""
    data = event.data
    await uow.session.execute(
        delete(incentive_awards).where(
            incentive_awards.c.provider_id == data.provider_id,
            incentive_awards.c.fiscal_year == data.fiscal_year,
        )
    )
    await uow.session.execute(
        incentive_awards.insert().values(
            provider_id=data.provider_id,
            fiscal_year=data.fiscal_year,
            completions=data.completions,
            amount=data.amount,
            awarded_on=data.awarded_on,
        )
    )


async def invoice_issued(uow: UnitOfWork, event: InvoiceIssued) -> None:
    """A provider's invoice of a monthly run (SPEC §3.5)."""
    data = event.data
    await uow.session.execute(delete(invoices).where(invoices.c.invoice_id == data.invoice_id))
    await uow.session.execute(
        invoices.insert().values(
            invoice_id=data.invoice_id,
            run_id=data.run_id,
            provider_id=data.provider_id,
            payable=data.payable,
            released=data.released,
            adjusted=data.adjusted,
            incentives=data.incentives,
            total=data.total,
        )
    )


async def voucher_issued(uow: UnitOfWork, event: VoucherIssued) -> None:
    """A voucher issued to a client: vouchers issued and clients with vouchers (SPEC
    §3.6 access/capacity)."""
    voucher = event.data.voucher
    known = await uow.session.scalar(
        select(vouchers_issued.c.voucher_id).where(
            vouchers_issued.c.voucher_id == voucher.voucher_id
        )
    )
    if known is None:
        await uow.session.execute(
            vouchers_issued.insert().values(
                voucher_id=voucher.voucher_id,
                client_id=voucher.client_id,
                kind=voucher.kind,
                issued_on=voucher.issued_on,
            )
        )


async def provider_designated(uow: UnitOfWork, event: ProviderRegistered) -> None:
    """A provider joined the network: providers designated (SPEC §3.6)."""
    provider_id = event.data.provider_id
    known = await uow.session.scalar(
        select(providers_designated.c.provider_id).where(
            providers_designated.c.provider_id == provider_id
        )
    )
    if known is None:
        await uow.session.execute(
            providers_designated.insert().values(
                provider_id=provider_id, designated_on=event.time.date()
            )
        )


async def choice_exception_recorded(uow: UnitOfWork, event: ChoiceExceptionRecorded) -> None:
    """A choice exception, once (SPEC §3.2: "the system records a choice exception,
    which reports show")."""
    data = event.data
    known = await uow.session.scalar(
        select(choice_exceptions.c.exception_id).where(
            choice_exceptions.c.exception_id == data.exception_id
        )
    )
    if known is None:
        await uow.session.execute(
            choice_exceptions.insert().values(
                exception_id=data.exception_id,
                client_id=data.client_id,
                service_code=data.service_code,
                county=data.county,
                shortfalls=list(data.shortfalls),
                offered=list(data.offered),
                organisation_id=data.organisation_id,
                recorded_on=data.recorded_on,
            )
        )


async def provider_selected(uow: UnitOfWork, event: VoucherProviderSelected) -> None:
    """A selection of the assessor's own organisation, once (SPEC §3.2: "recorded as a
    self-referral and reported"); other selections are not kept here."""
    data = event.data
    if not data.self_referral:
        return
    known = await uow.session.scalar(
        select(self_referrals.c.event_id).where(self_referrals.c.event_id == str(event.id))
    )
    if known is None:
        await uow.session.execute(
            self_referrals.insert().values(
                event_id=str(event.id),
                voucher_id=data.voucher.voucher_id,
                client_id=data.voucher.client_id,
                provider_id=data.provider_id,
                selected_on=event.time.date(),
            )
        )
