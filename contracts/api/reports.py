"""Report bodies (SPEC §3.6, §4 ``GET /v1/reports/...``): financial, provider report
cards and program integrity, per period (a fiscal year ``2027`` or one of its quarters
``2027Q2``). Ids, dates, counts and amounts only: no PHI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from contracts.api import Answer

Money = Decimal


class ServiceDayTotal(Answer):
    """The allowed units and amount of one service on one date at one rate."""

    service_code: str
    service_date: date
    unit_rate: Decimal | None
    lines: int
    units: int = Field(description="Allowed units, after corrections.")
    amount: Money = Field(description="Allowed amount, after corrections.")


class QuarterSpend(Answer):
    """A fiscal quarter: its allotment and what services dated in it keep funded."""

    fiscal_year: int
    quarter: int = Field(ge=1, le=4)
    allotment: Money
    funded: Money = Field(
        description="Funded for services dated in the quarter, net of corrections."
    )
    left: Money = Field(description="Allotment minus funded (carried forward when positive).")
    unfunded_lines: int = Field(description="Approved lines not funded (FUNDS_EXHAUSTED).")


class ModalityCost(Answer):
    """Per-person cost of a modality against its Appendix G reasonable range."""

    modality: str
    persons: int = Field(description="Clients with a funded service of the modality.")
    funded: Money
    per_person: Money | None
    range_low: Money | None
    range_high: Money | None
    range_source: str | None
    flag: str = Field(examples=["within_range", "above_range", "below_range", "no_range"])


class FinancialReport(Answer):
    """``GET /v1/reports/financial``: per service and date, spend against allotments
    per quarter, per-person cost per modality, administrative cost share."""

    period: str
    starts_on: date
    ends_on: date
    services: list[ServiceDayTotal]
    allowed_units: int
    allowed_amount: Money
    quarters: list[QuarterSpend] = Field(description="Every quarter of the fiscal year.")
    funded: Money = Field(description="Funded for services dated in the period.")
    modalities: list[ModalityCost]
    administrative_costs: Money = Field(
        description="Administrative expenses recorded against the period's quarters "
        "(seed 003 App. B)."
    )
    administrative_cost_share: Decimal | None = Field(
        description="Administrative costs as a percentage of total expenditures "
        "(administrative + funded services of the period); null when nothing was spent.",
        examples=["12.5"],
    )
    administrative_cost_above_limit: bool = Field(
        description='The share is above 15 % (seed 003 §I-2.3: "preferably no more than '
        '15% of total expenditures").'
    )
    administrative_cost_note: str


class DenialCount(Answer):
    """Lines denied in whole or in part for one reason."""

    reason: str
    lines: int
    amount: Money = Field(description="Denied amount of those lines.")


class ProviderCard(Answer):
    """One provider's report card for the period."""

    provider_id: str
    claim_lines: int
    allowed_amount: Money
    denied_lines: int = Field(description="Lines denied in whole.")
    denied_amount: Money
    denials: list[DenialCount]
    corrected_lines: int
    funded: Money
    holdbacks_released: Money
    released_episodes: int
    holdbacks_forfeited: Money
    forfeited_episodes: int
    incentive_awards: Money
    invoiced: Money = Field(description="Totals of its invoices of the period's monthly runs.")
    outcome_reporting_completeness: Decimal | None = Field(
        description="Released episodes over settled episodes (null when none settled)."
    )
    ineligible_next_year: bool
    ineligibility_reason: str | None
    clients_followed_up: int = Field(
        default=0, description="Clients whose abstinence was reported at follow-up/discharge."
    )
    abstinent: int = Field(default=0, description="Of them, abstinent (GPRA domain 1).")
    abstinence_rate: Decimal | None = Field(
        default=None, description="Abstinent over followed up (null when none)."
    )
    completions: int = Field(
        default=0, description="Discharges with reason treatment_completed (GPRA item 7.2)."
    )


class ProviderReport(Answer):
    """``GET /v1/reports/providers``: a report card per provider."""

    period: str
    starts_on: date
    ends_on: date
    rule: str = Field(description="The ineligibility rule applied.")
    providers: list[ProviderCard]


class MonthDenials(Answer):
    """Lines denied for one reason with service dates in one month."""

    month: str = Field(examples=["2026-11"])
    reason: str
    lines: int
    amount: Money


class IntegrityFinding(Answer):
    """A provider on the auditor's list, and why."""

    provider_id: str
    pattern: str = Field(examples=["daily_maximum", "corrections", "denials"])
    count: int
    of: int
    share: Decimal
    why: str


class ChoiceExceptionEntry(Answer):
    """A choice exception recorded in the period (SPEC §3.2)."""

    exception_id: str
    client_id: str
    service_code: str
    county: str | None = None
    shortfalls: str = Field(description="Space-separated shortfall codes.")
    offered: int = Field(description="Providers on the list offered.")
    organisation_id: str | None = None
    recorded_on: date


class SelfReferralEntry(Answer):
    """A client's selection of the assessor's own organisation (SPEC §3.2)."""

    provider_id: str
    client_id: str
    voucher_id: str
    selected_on: date


class IntegrityReport(Answer):
    """``GET /v1/reports/integrity``: denials by reason per month, the providers with
    unusual patterns, choice exceptions and self-referrals."""

    period: str
    starts_on: date
    ends_on: date
    denials_by_month: list[MonthDenials]
    findings: list[IntegrityFinding]
    choice_exceptions: list[ChoiceExceptionEntry] = Field(default_factory=list)
    self_referrals: list[SelfReferralEntry] = Field(default_factory=list)
