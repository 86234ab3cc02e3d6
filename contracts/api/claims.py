"""Claim answers (SPEC §4 ``/v1/claims``): accepted lines and a claim's status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from contracts.api import Answer
from contracts.api.payments import Funding


class ClaimAccepted(Answer):
    """``202`` to ``POST /v1/claims``: the line is stored and will be adjudicated."""

    claim_ref: str = Field(examples=["EHR-2026-000123"])
    claim_id: str = Field(examples=["CLM-0F9A6C21D4E8"])
    status: Literal["received"] = "received"
    duplicate: bool = Field(
        description="The same line was accepted before: this is its claim id, not a new one.",
        examples=[False],
    )


class BatchAccepted(Answer):
    """``202`` to ``POST /v1/claims/batch``: every line stored, all or none."""

    claims: list[ClaimAccepted]
    accepted: int = Field(ge=0, description="New lines.", examples=[2])
    duplicates: int = Field(ge=0, description="Lines accepted before.", examples=[0])


class ClaimStatus(Answer):
    """``GET /v1/claims/{id}``: status and, once decided, units, amounts and reasons.

    A line the claims service has not stored yet answers with its id, reference and
    ``received`` only."""

    claim_id: str = Field(examples=["CLM-0F9A6C21D4E8"])
    claim_ref: str = Field(examples=["EHR-2026-000123"])
    status: str = Field(
        description="received, pending, approved, partially_approved or denied.",
        examples=["partially_approved"],
    )
    provider_id: str | None = Field(default=None, examples=["PRV-0001"])
    client_id: str | None = Field(default=None, examples=["CL-7F3A9C21"])
    voucher_id: str | None = Field(default=None, examples=["VCH-5D2E0A7B19"])
    service_code: str | None = Field(default=None, examples=["RECOVERY_MENTORING_IND"])
    service_date: date | None = None
    billed_units: int | None = Field(default=None, examples=[4])
    allowed_units: int | None = Field(default=None, examples=[3])
    denied_units: int | None = Field(default=None, examples=[1])
    unit_rate: Decimal | None = Field(default=None, examples=["12.50"])
    allowed_amount: Decimal | None = Field(default=None, examples=["37.50"])
    denied_amount: Decimal | None = Field(default=None, examples=["12.50"])
    reasons: list[str] = Field(
        default_factory=list,
        description="Reason codes of the decision.",
        examples=[["WEEKLY_LIMIT"]],
    )
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    funding_status: str | None = Field(
        default=None, description="funded or unfunded once payments decided an approved line."
    )
    funding: Funding | None = None
