"""Events on ``atr.payments.v1``: fiscal years opened, claim lines funded, holdbacks
released or forfeited, incentive pools awarded, invoices issued, administrative costs
recorded (SPEC §3.5, §3.6).

Funding and holdback events are keyed by ``provider_id`` (a provider's money in order); a fiscal
year's event by its name (``FY2027``). No PHI: ids, dates and amounts only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Event, EventData


class FundingReason(StrEnum):
    """Why an approved line was not funded (SPEC §3.5)."""

    FUNDS_EXHAUSTED = "FUNDS_EXHAUSTED"


FISCAL_YEAR_START_MONTH = 7
"""Seed 003 App. E §6: "the fiscal year (July 1 to June 30)"; every service that needs a
fiscal year's first day (payments' allotments, a provider's ineligibility "for the next
year") reads it from here."""


def next_fiscal_year_start(day: date) -> date:
    """The first day of the fiscal year after the one ``day`` falls in (July 1; seed 003
    App. E §6 "the fiscal year (July 1 to June 30)")."""
    year = day.year + (1 if day.month >= FISCAL_YEAR_START_MONTH else 0)
    return date(year, FISCAL_YEAR_START_MONTH, 1)


def fiscal_year_name(year: int) -> str:
    """``FY2027`` for the fiscal year ending June 30, 2027."""
    return f"FY{year}"


CostModality = Literal[
    "screening_brief_outreach_pretreatment",
    "outpatient_non_methadone",
    "outpatient_methadone",
    "residential",
    "recovery_support",
]
"""Seed 003 Appendix G's modalities: four treatment modalities with reasonable ranges,
and recovery support, for which "applicants are expected to provide costs"."""

AdministrativeCostCategory = Literal[
    "provider_eligibility",
    "client_eligibility_and_assessment",
    "provider_screening",
    "fiscal_cost_accounting",
    "information_systems",
    "quality_improvement",
    "marketing",
    "oversight_fraud_abuse",
]
"""Seed 003 Appendix B, "Services Included as Administrative Expenses", its eight
bullets in order."""


class ProposedCostRange(EventData):
    """The state's proposed per-person cost range for one modality (seed 003 App. G: for
    recovery support "applicants are expected to provide costs"; a deviation from a
    given range needs "a justification")."""

    modality: str = Field(
        description="A ``CostModality`` (plain text here: a later modality is no error).",
        examples=["recovery_support"],
    )
    low: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    high: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    justification: str = Field(
        min_length=1, max_length=500, description="Where the figures come from (the application)."
    )


class FiscalYearOpenedData(EventData):
    """A fiscal year's funds and its four quarterly allotments."""

    fiscal_year: int = Field(examples=[2027])
    starts_on: date
    ends_on: date
    allotments: list[Decimal] = Field(
        description="The four quarterly allotments, released Jul 1, Oct 1, Jan 1, Apr 1."
    )
    opened_by: str | None = Field(default=None, description="Token id of the admin.")
    proposed_costs: list[ProposedCostRange] = Field(
        default_factory=list,
        description="The state's per-person cost ranges where it gives them (App. G).",
    )


class FiscalYearOpened(Event):
    """The administrative agency set a fiscal year's funds (``POST /v1/fiscal-years``)."""

    type: Literal["atr.payment.fiscal_year_opened"] = "atr.payment.fiscal_year_opened"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: FiscalYearOpenedData


class LineFundedData(EventData):
    """The funding decision on one approved claim line: funded whole, with its 90 %
    payable and 10 % holdback, or not at all (``FUNDS_EXHAUSTED``)."""

    claim_id: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    fiscal_year: int
    quarter: int = Field(ge=1, le=4)
    amount: Decimal = Field(description="The adjudicated allowed amount.")
    funded: bool
    payable: Decimal = Field(description="90 % of a funded line, else 0.")
    holdback: Decimal = Field(description="10 % of a funded line, else 0.")
    reason: FundingReason | None = None
    decided_at: datetime


class LineFunded(Event):
    """An approved line was funded, or could not be (SPEC §3.5 cumulative ceiling)."""

    type: Literal["atr.payment.line_funded"] = "atr.payment.line_funded"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: LineFundedData


class HoldbackSettledData(EventData):
    """A provider episode's held-back money changed hands: released to the provider, or
    forfeited to the fiscal year's incentive pool (SPEC §3.5)."""

    provider_id: str
    voucher_id: str
    client_id: str
    fiscal_year: int
    amount: Decimal
    settled_on: date


class HoldbackReleased(Event):
    """The provider reported the discharge with a complete GPRA discharge interview:
    the episode's 10 % is paid to it."""

    type: Literal["atr.payment.holdback_released"] = "atr.payment.holdback_released"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: HoldbackSettledData


class HoldbackForfeited(Event):
    """No discharge with a complete GPRA discharge interview within 60 days of the last
    service: the episode's 10 % goes to the fiscal year's incentive pool."""

    type: Literal["atr.payment.holdback_forfeited"] = "atr.payment.holdback_forfeited"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: HoldbackSettledData


class IncentiveAwardedData(EventData):
    """A provider's share of a fiscal year's incentive pool: the year's forfeited
    holdbacks, shared in proportion to successful completions (SPEC §3.5; seed 003 §II
    footnote 2)."""

    provider_id: str
    fiscal_year: int
    completions: int = Field(
        ge=1, description="Clients the provider discharged successfully in the year."
    )
    amount: Decimal = Field(description="The provider's share, paid on the next invoice run.")
    pool: Decimal = Field(description="The year's whole pool (its forfeited holdbacks).")
    awarded_on: date


class IncentiveAwarded(Event):
    """The administrative agency distributed a fiscal year's incentive pool at year end
    (``POST /v1/fiscal-years/{year}/incentives``): this provider's share."""

    type: Literal["atr.payment.incentive_awarded"] = "atr.payment.incentive_awarded"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: IncentiveAwardedData


class InvoiceIssuedData(EventData):
    """A provider's invoice of a monthly run: what is paid to it."""

    invoice_id: str
    run_id: str = Field(description="The run's month, e.g. `2026-11`.", examples=["2026-11"])
    provider_id: str
    cutoff: date = Field(description="Lines with service dates before this day are paid.")
    lines: int
    payable: Decimal = Field(description="90 % of the funded lines on the invoice.")
    released: Decimal = Field(description="Holdbacks released since the last run.")
    adjusted: Decimal = Field(
        default=Decimal("0.00"),
        description="Corrections of lines paid before (negative: money taken back).",
    )
    incentives: Decimal = Field(
        default=Decimal("0.00"), description="Incentive pool awards not paid before."
    )
    total: Decimal


class InvoiceIssued(Event):
    """The administrative agency's monthly invoice run invoiced a provider (SPEC §3.5)."""

    type: Literal["atr.payment.invoice_issued"] = "atr.payment.invoice_issued"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: InvoiceIssuedData


class FundingAdjustedData(EventData):
    """A funded line's correction reversed: its new amounts, the differences, and what
    the provider's next invoice takes back (a line or a released holdback paid before)."""

    claim_id: str
    correction_id: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_date: date
    fiscal_year: int
    quarter: int = Field(ge=1, le=4)
    amount: Decimal = Field(description="The funded amount after the correction.")
    payable: Decimal
    holdback: Decimal
    amount_delta: Decimal = Field(description="Returned to the quarter (negative).")
    payable_delta: Decimal
    holdback_delta: Decimal
    next_invoice: Decimal = Field(
        description="Taken back on the provider's next invoice (negative, or 0 when "
        "nothing was paid yet)."
    )
    adjusted_at: datetime


class FundingAdjusted(Event):
    """A claim line was reduced or voided after funding: the funding is reversed by the
    difference, never silently changed (SPEC §3.5)."""

    type: Literal["atr.payment.funding_adjusted"] = "atr.payment.funding_adjusted"
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: FundingAdjustedData


class AdministrativeCostRecordedData(EventData):
    """An administrative expense of the program (seed 003 App. B), recorded by the
    administrative agency against a fiscal quarter."""

    reference: str = Field(description="The agency's document reference, unique.")
    fiscal_year: int
    quarter: int = Field(ge=1, le=4)
    category: AdministrativeCostCategory
    amount: Decimal
    recorded_on: date


class AdministrativeCostRecorded(Event):
    """Administrative costs count against the program's total expenditures; the share is
    kept "preferably no more than 15%" (seed 003 §I-2.3, SPEC §3.6 financial report)."""

    type: Literal["atr.payment.administrative_cost_recorded"] = (
        "atr.payment.administrative_cost_recorded"
    )
    source: str = "/atr/payments"
    schemaversion: Literal[1] = 1
    data: AdministrativeCostRecordedData


PaymentEvent = Annotated[
    FiscalYearOpened
    | LineFunded
    | HoldbackReleased
    | HoldbackForfeited
    | IncentiveAwarded
    | InvoiceIssued
    | FundingAdjusted
    | AdministrativeCostRecorded,
    Field(discriminator="type"),
]
