"""Claim answers (SPEC §4 ``/v1/claims``): accepted lines, a claim's status and the
claims list."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from contracts.api import Answer
from contracts.api.payments import Funding
from contracts.envelope import Contract
from contracts.fields import Code, Id, RecordDate, ShortText

LineStatus = Literal["pending", "approved", "partially_approved", "denied", "voided"]
"""A stored line's status, what ``GET /v1/claims?status=`` filters on: ``pending`` while
it waits for voucher state, then its outcome, or ``voided`` by a correction to 0 units."""

CLAIM_PAGE_LIMIT = 100
"""Most lines one page of ``GET /v1/claims`` lists (``limit=``)."""


class ClaimAccepted(Answer):
    """``202`` to ``POST /v1/claims``: the line is stored and will be adjudicated.

    A ``void`` line submits nothing new: its answer is the earlier claim it voided
    (``claim_id`` and ``voided_claim_id`` both that claim's id, status ``voided``). A
    ``replacement`` is the new claim (``received``) with the id of the earlier claim it
    voided in ``voided_claim_id``.
    """

    claim_ref: str = Field(examples=["EHR-2026-000123"])
    claim_id: str = Field(examples=["CLM-0F9A6C21D4E8"])
    status: Literal["received", "voided"] = Field(
        default="received",
        description="`received`: the line will be adjudicated; `voided`: a void line, the "
        "earlier claim `claim_id` is voided.",
    )
    duplicate: bool = Field(
        description="The same line was accepted before: this is its claim id, not a new one "
        "(always false for a void, which repeated changes nothing).",
        examples=[False],
    )
    voided_claim_id: str | None = Field(
        default=None,
        description="The earlier claim a replacement or void line voided (corrected to 0 units).",
    )


class BatchAccepted(Answer):
    """``202`` to ``POST /v1/claims/batch``: every line stored, all or none."""

    claims: list[ClaimAccepted]
    accepted: int = Field(ge=0, description="New lines.", examples=[2])
    duplicates: int = Field(ge=0, description="Lines accepted before.", examples=[0])
    voided: int = Field(
        default=0, ge=0, description="Void lines (each voided an earlier claim).", examples=[0]
    )


class ClaimStatus(Answer):
    """``GET /v1/claims/{id}``: status and, once decided, units, amounts and reasons.

    A line the claims service has not stored yet answers with its id, reference and
    ``received`` only."""

    claim_id: str = Field(examples=["CLM-0F9A6C21D4E8"])
    claim_ref: str = Field(examples=["EHR-2026-000123"])
    status: str = Field(
        description="received, pending, approved, partially_approved, denied or voided "
        "(a correction to 0 units).",
        examples=["partially_approved"],
    )
    provider_id: str | None = Field(default=None, examples=["PRV-0001"])
    client_id: str | None = Field(default=None, examples=["CL-7F3A9C21"])
    voucher_id: str | None = Field(default=None, examples=["VCH-5D2E0A7B19"])
    service_code: str | None = Field(default=None, examples=["RECOVERY_MENTORING_IND"])
    service_date: date | None = None
    service_date_to: date | None = Field(
        default=None, description="Last day of a per-diem line billed as a date range."
    )
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
    updated_at: datetime | None = Field(
        default=None,
        description="When the claims service last wrote the line: stored, decided or "
        "corrected (what ``GET /v1/claims?updated_since=`` compares).",
    )
    funding_status: str | None = Field(
        default=None, description="funded or unfunded once payments decided an approved line."
    )
    funding: Funding | None = None


class ClaimPage(Answer):
    """``GET /v1/claims``: one page of the claims list, in the order lines were last
    written (stored, decided, corrected); a line written again is listed again further
    on, as it now is.

    Pass ``next_cursor`` back (with the same filters) for the next page; it is given on
    the last page too, so an EHR polls with it later and receives only what changed."""

    items: list[ClaimStatus] = Field(
        description="Each line as ``GET /v1/claims/{id}`` answers it (funding included)."
    )
    next_cursor: str = Field(
        description="Opaque: where the next page starts (bound to these filters).",
        examples=["WzEsMTIzNDUsIkNMTS0wRjlBNkMyMUQ0RTgiLCI0ZjFhIl0"],
    )
    has_more: bool = Field(
        description="More lines are listed already: ask for the next page now. False: "
        "poll ``next_cursor`` later for lines written since.",
        examples=[False],
    )


class ReviewUnusualCircumstances(Contract):
    """``POST /v1/claims/reviews``: the administrative agency or the state records that
    it reviewed and approved the unusual circumstances documented in a client's record
    for one service on one date (seed 004 (A)2 "Unless there are unusual circumstances
    that are documented in the client record, CSWs should bill no more than one unit of
    Community Support Work per client per meeting"). A line of that client, service and
    date decided afterwards is not cut by the service's reviewable limits."""

    client_id: Id = Field(examples=["CL-7F3A9C21"])
    service_code: Code = Field(examples=["COMMUNITY_SUPPORT"])
    service_date: RecordDate = Field(examples=["2026-09-16"])
    record_reference: ShortText = Field(
        description="Where the unusual circumstances are documented in the client record.",
        examples=["NOTE-2026-09-16-4"],
    )


class UnusualCircumstancesReview(Answer):
    """A recorded review of documented unusual circumstances (seed 004 (A)2)."""

    client_id: str
    service_code: str
    service_date: date
    record_reference: str
    reviewed_by: str = Field(description="Token id of the administrator who recorded it.")
    recorded_at: datetime
