"""X12 answers (``POST /v1/x12/837``): the acknowledgements of an 837P interchange and
what became of each of its claims, in one JSON body."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.api import Answer
from contracts.api.claims import ClaimAccepted

X12_MEDIA_TYPE = "application/edi-x12"
"""The media type of X12 bodies (RFC 1767); ``text/plain`` is accepted too."""


class X12ClaimResult(Answer):
    """One 837P claim (CLM): its lines accepted, each as ``POST /v1/claims`` answers it
    (same claim ids, same idempotency), or the claim rejected with why."""

    patient_control_number: str = Field(description="CLM01.", examples=["EHR-2026-000123"])
    status: Literal["accepted", "rejected"]
    reason: str | None = Field(
        default=None,
        description="Why the claim was rejected, naming the field and the X12 element.",
        examples=["line 1: voucher_id (REF*G1) Field required"],
    )
    lines: list[ClaimAccepted] = Field(default_factory=list)


class X12Acknowledgement(Answer):
    """``200`` to ``POST /v1/x12/837``: the 999 (syntax), a TA1 when the interchange
    envelope itself is in error, and the 277CA (one claim status per CLM) of the
    transaction sets the 999 accepted."""

    accepted: bool = Field(
        description="The 999 accepted at least one transaction set and no TA1 rejected "
        "the interchange: its claims were read (each claim's result is below)."
    )
    ack999: str = Field(description="The 999 implementation acknowledgement (X12 text).")
    ta1: str | None = Field(
        default=None,
        description="A TA1 interchange acknowledgement rejecting the interchange (ISA/IEA "
        "in error); then no claim was taken.",
    )
    ack277ca: str | None = Field(
        default=None,
        description="The 277CA claim acknowledgement (X12 text), when any claim was read.",
    )
    claims: list[X12ClaimResult] = Field(default_factory=list)
