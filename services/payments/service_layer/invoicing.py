"""Monthly invoice runs and remittance statements (SPEC §3.5; seed 003 App. E §5
"Invoicing and Payment for Services").

A run for month P (``2026-11``), made by the administrative agency, takes every line
with a service date before P's first day that no earlier run took: the funded ones are
paid (their 90 % payable) on the provider's invoice, the unfunded and denied ones are
reported on its statement; the holdbacks released before that day that no run paid
yet; the incentive pool awards made before that day that no run paid yet (SPEC §3.5
year-end pool); and the corrections made before that day that no run took yet (money
taken back for lines or releases paid before, shown line by line: never a silent
change). Each line, release, award and adjustment belongs to exactly one run, so nothing
is paid twice. One run per month; a provider with nothing to pay gets no invoice but
still a statement.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select, update

from contracts.api.payments import (
    InvoiceRun,
    InvoiceSummary,
    Remittance,
    RemittanceAdjustment,
    RemittanceIncentive,
    RemittanceLine,
    RemittanceRelease,
)
from contracts.payments import (
    FundingReason,
    InvoiceIssued,
    InvoiceIssuedData,
    fiscal_year_name,
)
from contracts.topics import PAYMENTS
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import (
    adjustments,
    fundings,
    incentive_awards,
    invoice_runs,
    invoices,
    releases,
)

ZERO = Decimal("0.00")


class RunExistsError(Exception):
    """The month was invoiced before."""


def cutoff_of(period: str) -> date:
    """The first day of ``period`` (``YYYY-MM``): the run pays what is dated before it."""
    year, month = period.split("-")
    return date(int(year), int(month), 1)


def invoice_id(period: str, provider_id: str) -> str:
    """``INV-2026-11-PRV-0001``."""
    return f"INV-{period}-{provider_id}"


async def run_invoices(uow: UnitOfWork, period: str, created_by: str | None) -> InvoiceRun:
    """Make the month's run: claim its lines, releases, incentive awards and
    adjustments, one invoice per provider with something to pay or take back, an
    ``InvoiceIssued`` event each (SPEC §3.5 invoices; seed 003 App. E §5)."""
    cutoff = cutoff_of(period)
    if await uow.session.scalar(
        select(invoice_runs.c.run_id).where(invoice_runs.c.run_id == period)
    ):
        raise RunExistsError(period)
    await uow.session.execute(
        invoice_runs.insert().values(
            run_id=period, cutoff=cutoff, created_by=created_by, created_at=datetime.now(UTC)
        )
    )
    await uow.session.execute(
        update(fundings)
        .where(fundings.c.run_id.is_(None), fundings.c.service_date < cutoff)
        .values(run_id=period)
    )
    await uow.session.execute(
        update(releases)
        .where(releases.c.run_id.is_(None), releases.c.settled_on < cutoff)
        .values(run_id=period)
    )
    await uow.session.execute(
        update(incentive_awards)
        .where(incentive_awards.c.run_id.is_(None), incentive_awards.c.awarded_on < cutoff)
        .values(run_id=period)
    )
    await uow.session.execute(
        update(adjustments)
        .where(adjustments.c.run_id.is_(None), adjustments.c.corrected_on < cutoff)
        .values(run_id=period)
    )
    lines: dict[str, int] = defaultdict(int)
    payable: dict[str, Decimal] = defaultdict(lambda: ZERO)
    released: dict[str, Decimal] = defaultdict(lambda: ZERO)
    adjusted: dict[str, Decimal] = defaultdict(lambda: ZERO)
    awarded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in await uow.session.execute(
        select(fundings.c.provider_id, fundings.c.payable).where(
            fundings.c.run_id == period, fundings.c.funded.is_(True)
        )
    ):
        lines[row.provider_id] += 1
        payable[row.provider_id] += row.payable
    for row in await uow.session.execute(
        select(releases.c.provider_id, releases.c.amount).where(releases.c.run_id == period)
    ):
        released[row.provider_id] += row.amount
    for row in await uow.session.execute(
        select(
            adjustments.c.provider_id,
            adjustments.c.payable_clawback + adjustments.c.released_clawback,
        ).where(adjustments.c.run_id == period)
    ):
        adjusted[row[0]] += row[1]
    for row in await uow.session.execute(
        select(incentive_awards.c.provider_id, incentive_awards.c.amount).where(
            incentive_awards.c.run_id == period
        )
    ):
        awarded[row.provider_id] += row.amount
    summaries = []
    for provider_id in sorted(set(payable) | set(released) | set(adjusted) | set(awarded)):
        summary = InvoiceSummary(
            invoice_id=invoice_id(period, provider_id),
            provider_id=provider_id,
            lines=lines[provider_id],
            payable=payable[provider_id],
            released=released[provider_id],
            incentives=awarded[provider_id],
            adjusted=adjusted[provider_id],
            total=payable[provider_id]
            + released[provider_id]
            + awarded[provider_id]
            + adjusted[provider_id],
        )
        summaries.append(summary)
        await uow.session.execute(invoices.insert().values(run_id=period, **summary.model_dump()))
        uow.emit(
            PAYMENTS,
            InvoiceIssued(
                subject=provider_id,
                data=InvoiceIssuedData(run_id=period, cutoff=cutoff, **summary.model_dump()),
            ),
        )
    return InvoiceRun(
        run_id=period,
        cutoff=cutoff,
        invoices=summaries,
        total=sum((s.total for s in summaries), ZERO),
    )


async def remittance(uow: UnitOfWork, period: str, provider_id: str) -> Remittance | None:
    """The provider's statement of the month's run; None when the month was not run."""
    cutoff = await uow.session.scalar(
        select(invoice_runs.c.cutoff).where(invoice_runs.c.run_id == period)
    )
    if cutoff is None:
        return None
    lines = []
    for row in await uow.session.execute(
        select(fundings)
        .where(fundings.c.run_id == period, fundings.c.provider_id == provider_id)
        .order_by(fundings.c.service_date, fundings.c.claim_id)
    ):
        reasons: list[str]
        if row.amount == 0 and (row.funded or row.reason):  # corrected to nothing
            status, reasons = "voided", []
        elif row.funded:
            status, reasons = "paid", []
        elif row.amount > 0:
            status, reasons = "unfunded", [row.reason or FundingReason.FUNDS_EXHAUSTED.value]
        else:
            status, reasons = "denied", list(row.denial_reasons or [])
        lines.append(
            RemittanceLine(
                claim_id=row.claim_id,
                client_id=row.client_id,
                voucher_id=row.voucher_id,
                service_code=row.service_code,
                service_date=row.service_date,
                status=status,
                amount=row.amount,
                paid=row.payable,
                held_back=row.holdback,
                reasons=reasons,
            )
        )
    paid_releases = [
        RemittanceRelease(
            voucher_id=row.voucher_id,
            client_id=row.client_id,
            fiscal_year=row.fiscal_year,
            amount=row.amount,
            released_on=row.settled_on,
        )
        for row in await uow.session.execute(
            select(releases)
            .where(releases.c.run_id == period, releases.c.provider_id == provider_id)
            .order_by(releases.c.settled_on, releases.c.release_id)
        )
    ]
    taken = [
        RemittanceAdjustment(
            claim_id=row.claim_id,
            correction_id=row.correction_id,
            client_id=row.client_id,
            voucher_id=row.voucher_id,
            service_code=row.service_code,
            service_date=row.service_date,
            amount=row.amount_delta,
            adjusted=row.payable_clawback + row.released_clawback,
            corrected_on=row.corrected_on,
        )
        for row in await uow.session.execute(
            select(adjustments)
            .where(
                adjustments.c.run_id == period,
                adjustments.c.provider_id == provider_id,
                adjustments.c.payable_clawback + adjustments.c.released_clawback != 0,
            )
            .order_by(adjustments.c.corrected_on, adjustments.c.correction_id)
        )
    ]
    awards = [
        RemittanceIncentive(
            fiscal_year=row.fiscal_year,
            completions=row.completions,
            amount=row.amount,
            awarded_on=row.awarded_on,
        )
        for row in await uow.session.execute(
            select(incentive_awards)
            .where(
                incentive_awards.c.run_id == period,
                incentive_awards.c.provider_id == provider_id,
            )
            .order_by(incentive_awards.c.fiscal_year)
        )
    ]
    paid = sum((line.paid for line in lines), ZERO)
    released = sum((r.amount for r in paid_releases), ZERO)
    incentives = sum((award.amount for award in awards), ZERO)
    adjusted = sum((a.adjusted for a in taken), ZERO)
    invoiced = paid > 0 or released > 0 or incentives > 0 or adjusted != 0
    return Remittance(
        period=period,
        provider_id=provider_id,
        invoice_id=invoice_id(period, provider_id) if invoiced else None,
        cutoff=cutoff,
        paid=paid,
        held_back=sum((line.held_back for line in lines), ZERO),
        released=released,
        incentives=incentives,
        adjusted=adjusted,
        total=paid + released + incentives + adjusted,
        lines=lines,
        releases=paid_releases,
        incentive_awards=awards,
        adjustments=taken,
    )


REMITTANCE_CSV_COLUMNS = (
    "claim_id",
    "client_id",
    "voucher_id",
    "service_code",
    "service_date",
    "status",
    "amount",
    "paid",
    "held_back",
    "reasons",
)


def remittance_csv(statement: Remittance) -> str:
    """The statement's lines as CSV (one row per line, then one per release, one per
    incentive award with status ``incentive``, one per adjustment with status
    ``adjusted``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REMITTANCE_CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow(
            [
                line.claim_id,
                line.client_id,
                line.voucher_id,
                line.service_code,
                line.service_date.isoformat(),
                line.status,
                line.amount,
                line.paid,
                line.held_back,
                " ".join(line.reasons),
            ]
        )
    for release in statement.releases:
        writer.writerow(
            [
                "",
                release.client_id,
                release.voucher_id,
                "HOLDBACK_RELEASE",
                release.released_on.isoformat(),
                "released",
                release.amount,
                release.amount,
                "0.00",
                "",
            ]
        )
    for award in statement.incentive_awards:
        writer.writerow(
            [
                "",
                "",
                "",
                f"INCENTIVE_POOL_{fiscal_year_name(award.fiscal_year)}",
                award.awarded_on.isoformat(),
                award.status,
                award.amount,
                award.amount,
                "0.00",
                "",
            ]
        )
    for adjustment in statement.adjustments:
        writer.writerow(
            [
                adjustment.claim_id,
                adjustment.client_id,
                adjustment.voucher_id,
                adjustment.service_code,
                adjustment.service_date.isoformat(),
                "adjusted",
                adjustment.amount,
                adjustment.adjusted,
                "0.00",
                f"correction {adjustment.correction_id}",
            ]
        )
    return out.getvalue()
