"""Fiscal years and funding (SPEC §3.5, §4 ``/v1/fiscal-years``, ``/v1/claims/{id}``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contracts.api import Answer
from contracts.envelope import Contract
from contracts.payments import AdministrativeCostCategory, CostModality

Money = Decimal
Allotment = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ProposedCosts(Contract):
    """The state's proposed per-person cost range for one modality (seed 003 App. G)."""

    low: Money = Field(ge=0, max_digits=14, decimal_places=2)
    high: Money = Field(ge=0, max_digits=14, decimal_places=2)
    justification: str = Field(
        min_length=1, max_length=500, description="Where the figures come from (the application)."
    )


class CreateFiscalYear(Contract):
    """``POST /v1/fiscal-years`` (admin): a fiscal year's funds, as a total released in
    four equal allotments or as the four allotments themselves."""

    fiscal_year: int = Field(
        ge=2005, le=2100, description="Named by the year it ends in.", examples=[2027]
    )
    total: Money | None = Field(
        default=None, gt=0, max_digits=14, decimal_places=2, examples=["1200000.00"]
    )
    allotments: list[Allotment] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="Jul 1, Oct 1, Jan 1 and Apr 1 releases (instead of `total`).",
        examples=[["300000.00", "300000.00", "300000.00", "300000.00"]],
    )
    proposed_costs: dict[CostModality, ProposedCosts] = Field(
        default_factory=dict,
        description="The state's per-person cost ranges from its application (seed 003 "
        "App. G): required for recovery support to be checked, optional for a treatment "
        "modality (it then replaces Appendix G's range, with its justification).",
        examples=[
            {
                "recovery_support": {
                    "low": "300.00",
                    "high": "2500.00",
                    "justification": "State application, budget narrative",
                }
            }
        ],
    )

    @model_validator(mode="after")
    def _one_way(self) -> CreateFiscalYear:
        if (self.total is None) == (self.allotments is None):
            raise ValueError("give either total or allotments")
        for modality, proposed in self.proposed_costs.items():
            if proposed.low > proposed.high:
                raise ValueError(f"proposed_costs.{modality}: low is above high")
        return self


class QuarterFunds(Answer):
    """One quarter: its allotment and what services dated in it obligated."""

    quarter: int = Field(ge=1, le=4)
    released_on: date
    released: bool
    allotment: Money
    obligated: Money = Field(description="Funded for services dated in this quarter.")
    payable: Money
    held_back: Money
    left: Money = Field(
        description="Released up to this quarter minus obligated up to it: what a line "
        "dated in this quarter could still be funded with, at most."
    )


class FiscalYearFunds(Answer):
    """``GET /v1/fiscal-years/{year}``: the allotments and what is obligated, payable,
    held back and left, per quarter and in all."""

    fiscal_year: int
    starts_on: date
    ends_on: date
    total: Money
    obligated: Money
    payable: Money
    held_back: Money
    left: Money
    released: Money = Field(description="Holdbacks released to providers so far.")
    forfeited: Money = Field(
        description="Holdbacks forfeited so far: the year's incentive pool (SPEC §3.5)."
    )
    incentives_distributed: Money | None = Field(
        default=None,
        description="What the year-end distribution of the pool awarded to providers; "
        "null until the pool is distributed.",
    )
    quarters: list[QuarterFunds]


class Funding(Answer):
    """The funding of one claim line (``GET /v1/claims/{id}``, ``funding``)."""

    funded: bool
    fiscal_year: int
    quarter: int
    amount: Money
    payable: Money
    holdback: Money
    reason: str | None = Field(default=None, examples=["FUNDS_EXHAUSTED"])
    invoice_state: Literal["not_invoiced", "invoiced"] = Field(
        default="not_invoiced",
        description="invoiced once a monthly run took the line (paid when funded, "
        "reported on the statement otherwise).",
    )
    run_id: str | None = Field(default=None, examples=["2026-12"])
    invoice_id: str | None = Field(
        default=None, description="The provider's invoice that paid the line (funded lines)."
    )
    holdback_state: Literal["none", "open", "released", "forfeited"] = Field(
        default="none",
        description="Where the line's 10 % stands: held on the episode, released to the "
        "provider, or forfeited to the incentive pool.",
    )
    adjusted: Money = Field(
        default=Decimal("0.00"),
        description="Taken back on later invoices by corrections of the line (negative).",
    )


Period = Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
"""A month, ``YYYY-MM``."""


class CreateInvoiceRun(Contract):
    """``POST /v1/invoice-runs`` (admin): the month's run. It pays every payable line
    with a service date before the month's first day not paid before, and the holdbacks
    released before that day (SPEC §3.5)."""

    period: Period


class InvoiceSummary(Answer):
    """One provider's invoice of a run."""

    invoice_id: str = Field(examples=["INV-2026-11-PRV-0001"])
    provider_id: str
    lines: int
    payable: Money
    released: Money
    adjusted: Money = Field(
        default=Decimal("0.00"),
        description="Corrections of lines paid before (negative: money taken back).",
    )
    incentives: Money = Field(
        default=Decimal("0.00"), description="Incentive pool awards paid on this invoice."
    )
    total: Money


class InvoiceRun(Answer):
    """``201`` to ``POST /v1/invoice-runs``: the invoices of the run."""

    run_id: str = Field(examples=["2026-11"])
    cutoff: date
    invoices: list[InvoiceSummary]
    total: Money


class RemittanceLine(Answer):
    """One claim line on a remittance statement."""

    claim_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    status: Literal["paid", "unfunded", "denied", "voided"]
    amount: Money = Field(description="The adjudicated allowed amount.")
    paid: Money = Field(description="Paid now: 90 % of a funded line.")
    held_back: Money = Field(description="10 % held back on the episode.")
    reasons: list[str] = Field(default_factory=list, examples=[["FUNDS_EXHAUSTED"]])


class RemittanceRelease(Answer):
    """A released holdback paid on the statement."""

    voucher_id: str
    client_id: str
    fiscal_year: int
    amount: Money
    released_on: date


class RemittanceAdjustment(Answer):
    """A correction of a line an earlier run paid (or of a released holdback): the
    difference, taken on this statement (SPEC §3.5; never a silent change)."""

    claim_id: str
    correction_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    amount: Money = Field(description="Change of the funded amount (negative).")
    adjusted: Money = Field(description="Taken on this statement (negative).")
    corrected_on: date


class RemittanceIncentive(Answer):
    """An incentive pool award paid on the statement (SPEC §3.5)."""

    status: Literal["incentive"] = "incentive"
    fiscal_year: int
    completions: int = Field(description="Successful completions the share is for.")
    amount: Money
    awarded_on: date


class Remittance(Answer):
    """``GET /v1/remittances?period=``: a provider's statement for a run — every line
    the run paid or reported (paid, held back, unfunded, denied with reasons) and the
    holdbacks it released."""

    period: str
    provider_id: str
    invoice_id: str | None
    cutoff: date
    paid: Money
    held_back: Money
    released: Money
    adjusted: Money = Decimal("0.00")
    incentives: Money = Decimal("0.00")
    total: Money
    lines: list[RemittanceLine]
    releases: list[RemittanceRelease]
    adjustments: list[RemittanceAdjustment] = Field(default_factory=list)
    incentive_awards: list[RemittanceIncentive] = Field(default_factory=list)


class IncentiveAward(Answer):
    """One provider's share of the pool."""

    provider_id: str
    completions: int = Field(description="Clients it discharged successfully in the year.")
    amount: Money


class IncentiveDistribution(Answer):
    """``201`` to ``POST /v1/fiscal-years/{year}/incentives``: the year's incentive pool
    (its forfeited holdbacks) shared among providers in proportion to their successful
    completions (SPEC §3.5; seed 003 §II footnote 2), paid on the next invoice run."""

    fiscal_year: int
    pool: Money = Field(description="The year's forfeited holdbacks when distributed.")
    distributed: Money
    undistributed: Money = Field(
        description="What no provider was awarded: all of the pool when no provider "
        "had a successful completion in the year."
    )
    awards: list[IncentiveAward]
    note: str | None = Field(
        default=None, examples=["no provider had a successful completion in FY2027"]
    )


class RecordAdministrativeCost(Contract):
    """``POST /v1/fiscal-years/{year}/administrative-costs`` (admin): one administrative
    expense (seed 003 App. B) of a fiscal quarter. ``reference`` makes it idempotent."""

    reference: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$", examples=["AP-2027-0042"]
    )
    quarter: int = Field(ge=1, le=4)
    category: AdministrativeCostCategory
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2, examples=["12500.00"])


class AdministrativeCost(Answer):
    """An administrative expense as recorded."""

    reference: str
    fiscal_year: int
    quarter: int
    category: str
    amount: Money
    recorded_on: date
