"""Events for the reporting tests, shaped as the owning services emit them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from contracts.claims import (
    ClaimAdjudicated,
    ClaimAdjudicatedData,
    ClaimCorrected,
    ClaimCorrectedData,
)
from contracts.payments import (
    FiscalYearOpened,
    FiscalYearOpenedData,
    HoldbackForfeited,
    HoldbackReleased,
    HoldbackSettledData,
    IncentiveAwarded,
    IncentiveAwardedData,
    InvoiceIssued,
    InvoiceIssuedData,
    LineFunded,
    LineFundedData,
)
from contracts.providers import ProviderRegistered, ProviderSnapshot

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def decided(
    claim_id: str,
    day: date,
    *,
    provider: str = "P1",
    client: str = "C1",
    code: str = "RECOVERY_MENTORING_IND",
    billed: int = 2,
    allowed: int = 2,
    rate: str = "5.00",
    reasons: tuple[str, ...] = (),
) -> ClaimAdjudicated:
    """A decided line: ``allowed`` of ``billed`` units at ``rate``."""
    unit = Decimal(rate)
    denied = billed - allowed
    return ClaimAdjudicated(
        subject=client,
        data=ClaimAdjudicatedData(
            claim_id=claim_id,
            claim_ref=claim_id,
            provider_id=provider,
            client_id=client,
            voucher_id=f"V-{client}",
            service_code=code,
            service_date=day,
            billed_units=billed,
            allowed_units=allowed,
            denied_units=denied,
            unit_rate=unit,
            allowed_amount=unit * allowed,
            denied_amount=unit * denied,
            outcome="approved" if not denied else "denied" if not allowed else "partially_approved",
            reasons=list(reasons),
            adjudicated_at=NOW,
        ),
    )


def corrected(line: ClaimAdjudicated, units: int) -> ClaimCorrected:
    """The line corrected to ``units`` delivered (0 voids it)."""
    d = line.data
    rate = d.unit_rate or Decimal(0)
    return ClaimCorrected(
        subject=d.client_id,
        data=ClaimCorrectedData(
            claim_id=d.claim_id,
            claim_ref=d.claim_ref,
            correction_id=f"COR-{d.claim_id}-{units}",
            provider_id=d.provider_id,
            client_id=d.client_id,
            voucher_id=d.voucher_id,
            service_code=d.service_code,
            service_date=d.service_date,
            billed_units=units,
            allowed_units=min(units, d.allowed_units),
            allowed_amount=rate * min(units, d.allowed_units),
            unit_rate=d.unit_rate,
            previous_billed_units=d.billed_units,
            previous_allowed_units=d.allowed_units,
            previous_allowed_amount=d.allowed_amount,
            voided=units == 0,
            corrected_at=NOW,
        ),
    )


def year_opened(fiscal_year: int, *allotments: str) -> FiscalYearOpened:
    """A fiscal year with its four allotments."""
    return FiscalYearOpened(
        subject=f"FY{fiscal_year}",
        data=FiscalYearOpenedData(
            fiscal_year=fiscal_year,
            starts_on=date(fiscal_year - 1, 7, 1),
            ends_on=date(fiscal_year, 6, 30),
            allotments=[Decimal(a) for a in allotments],
        ),
    )


def funded(line: ClaimAdjudicated, *, ok: bool = True) -> LineFunded:
    """Payments' decision on a line of FY2027 (quarter from its date)."""
    d = line.data
    quarter = {7: 1, 8: 1, 9: 1, 10: 2, 11: 2, 12: 2, 1: 3, 2: 3, 3: 3}.get(d.service_date.month, 4)
    amount = d.allowed_amount
    return LineFunded(
        subject=d.provider_id,
        data=LineFundedData(
            claim_id=d.claim_id,
            provider_id=d.provider_id,
            client_id=d.client_id,
            voucher_id=d.voucher_id,
            service_code=d.service_code,
            service_date=d.service_date,
            fiscal_year=2027,
            quarter=quarter,
            amount=amount,
            funded=ok,
            payable=(amount * Decimal("0.9")).quantize(Decimal("0.01")) if ok else Decimal(0),
            holdback=(amount * Decimal("0.1")).quantize(Decimal("0.01")) if ok else Decimal(0),
            reason=None if ok else "FUNDS_EXHAUSTED",
            decided_at=NOW,
        ),
    )


def settled(
    kind: str, provider: str, voucher: str, amount: str, day: date
) -> HoldbackReleased | HoldbackForfeited:
    """An episode's holdback released or forfeited."""
    data = HoldbackSettledData(
        provider_id=provider,
        voucher_id=voucher,
        client_id=f"C-{voucher}",
        fiscal_year=2027,
        amount=Decimal(amount),
        settled_on=day,
    )
    if kind == "released":
        return HoldbackReleased(subject=provider, data=data)
    return HoldbackForfeited(subject=provider, data=data)


def awarded(provider: str, amount: str, day: date) -> IncentiveAwarded:
    """A provider's share of FY2027's incentive pool."""
    return IncentiveAwarded(
        subject=provider,
        data=IncentiveAwardedData(
            provider_id=provider,
            fiscal_year=2027,
            completions=1,
            amount=Decimal(amount),
            pool=Decimal(amount),
            awarded_on=day,
        ),
    )


def registered(provider: str) -> ProviderRegistered:
    """A provider designated."""
    return ProviderRegistered(
        subject=provider,
        data=ProviderSnapshot(
            provider_id=provider,
            name="Test Provider",
            services=["RECOVERY_MENTORING_IND"],
            counties=["Boone"],
            faith_based=False,
            status="active",
        ),
    )


def invoiced(provider: str, run: str, total: str) -> InvoiceIssued:
    """A provider's invoice of a monthly run."""
    year, month = (int(x) for x in run.split("-"))
    return InvoiceIssued(
        subject=provider,
        data=InvoiceIssuedData(
            invoice_id=f"INV-{run}-{provider}",
            run_id=run,
            provider_id=provider,
            cutoff=date(year, month, 1),
            lines=1,
            payable=Decimal(total),
            released=Decimal("0.00"),
            total=Decimal(total),
        ),
    )
