"""GPRA outcome and follow-up reports (SPEC §3.6, §4 ``GET /v1/reports/...``; seed 003
§VI-3.1 and App. C §5a): the answers the reporting service gives and the gateway relays.

Clients appear only by their pseudonymous ``client_id``: no name, SSN or date of birth.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from contracts.api import Answer
from contracts.clients import GpraKind

QUARTER_PATTERN = r"^20[0-9]{2}Q[1-4]$"
"""A fiscal quarter, e.g. ``2027Q2`` (FY2027's October-December; SPEC §3.5 quarters)."""

Percent = Decimal


class DomainOutcome(Answer):
    """One domain's indicator at intake and at the latest follow-up or discharge, over
    the clients who answered that domain both times."""

    domain: int = Field(ge=1, le=7, description="App. C domain number.")
    indicator: str = Field(examples=["abstinent"])
    source: str = Field(description="The App. C items the indicator is derived from.")
    clients: int = Field(ge=0)
    at_intake: int = Field(ge=0)
    at_intake_percent: Percent | None = None
    at_follow_up: int = Field(ge=0)
    at_follow_up_percent: Percent | None = None


class AccessCapacityCounts(Answer):
    """Domain 6 (App. C items 6.1-6.3) from the voucher and provider topics."""

    clients_with_vouchers: int = Field(description="Item 6.1, vouchers issued in the quarter.")
    vouchers_issued: int = Field(description="Item 6.2, in the quarter.")
    clients_with_vouchers_to_date: int
    vouchers_issued_to_date: int
    providers_designated: int = Field(description="Item 6.3, registered providers to date.")


class SessionsPerCategory(Answer):
    """Item 7.1: one service category over the follow-up cohort's latest interviews."""

    category: str = Field(examples=["recovery_coaching"])
    clients: int
    sessions: int
    per_client: Decimal = Field(description="Sessions divided by the cohort's clients.")


class LengthOfStay(Answer):
    """Item 7.2: admission to discharge of the vouchers discharged in the quarter."""

    discharges: int
    average_days: Decimal | None = None
    longest_days: int | None = None


class RetentionSummary(Answer):
    """Domain 7, retention."""

    clients: int = Field(description="Clients of the follow-up cohort.")
    sessions: list[SessionsPerCategory] = Field(
        description="Item 7.1 as the cohort's latest interviews reported it."
    )
    sessions_from_claims: list[SessionsPerCategory] = Field(
        description="Item 7.1 from the claim lines the program allowed: each client's "
        "distinct service dates per category in the 30 days up to their latest interview, "
        "each catalog service under its GPRA category."
    )
    length_of_stay: LengthOfStay
    discharges_by_reason: dict[str, int] = Field(
        description="Discharge interviews in the quarter by item 7.2 2.c reason.",
        examples=[{"treatment_completed": 3, "lost_contact": 1}],
    )


class GpraQuarterReport(Answer):
    """``GET /v1/reports/gpra?period=``: the quarter's GPRA report to SAMHSA."""

    period: str = Field(examples=["2027Q2"])
    starts_on: date
    ends_on: date
    due_on: date = Field(description="30 days after the quarter's end (App. C §5c.1).")
    clients_with_intake: int = Field(description="Intake interviews in the quarter.")
    clients_followed_up: int = Field(
        description="Clients compared: latest follow-up or discharge in the quarter, with an "
        "earlier intake."
    )
    domains: list[DomainOutcome] = Field(description="Domains 1-5, abstinence first.")
    access_capacity: AccessCapacityCounts
    retention: RetentionSummary


class FollowUpDue(Answer):
    """One interview owed on ``as_of``."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"], description="Pseudonymous id.")
    provider_id: str | None = None
    case_number: int
    kind: GpraKind
    opens_on: date
    due_by: date
    status: str = Field(examples=["due", "overdue"])
    overdue_days: int = Field(ge=0)


class FollowUpRateRow(Answer):
    """Follow-up and discharge interviews conducted vs missed (overdue)."""

    provider_id: str | None = Field(default=None, description="Null: no provider known.")
    conducted: int
    missed: int
    rate_percent: Percent | None = None


class FollowUpReport(Answer):
    """``GET /v1/reports/follow-up?as_of=``: the program's GPRA worklist and rates."""

    as_of: date
    due: int
    overdue: int
    interviews: list[FollowUpDue]
    providers: list[FollowUpRateRow]
    program: FollowUpRateRow


class ProviderOutcomeRow(Answer):
    """A provider's outcomes in the quarter (report cards, SPEC §3.6)."""

    provider_id: str
    clients_followed_up: int = Field(description="Clients with abstinence reported.")
    abstinent: int
    abstinence_rate_percent: Percent | None = None
    completions: int = Field(description="Discharges with reason treatment_completed.")


class ProviderOutcomesReport(Answer):
    """``GET /v1/reports/outcomes?period=``: outcomes per provider."""

    period: str
    starts_on: date
    ends_on: date
    providers: list[ProviderOutcomeRow]
