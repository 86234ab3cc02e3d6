"""Voucher commands (SPEC §3.3, §4 ``/v1/vouchers``); unknown fields are rejected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from contracts.api import Answer
from contracts.clients import AuthorizedService
from contracts.envelope import Contract
from contracts.fields import Id, NoControlCharacters, RecordDate


class CreateVoucher(Contract):
    """``POST /v1/vouchers``: a service voucher (assessor) or re-entry voucher (doc_thu)."""

    client_id: Id
    kind: Literal["service", "reentry"] = "service"
    assessment_id: Id | None = None
    assessed_on: RecordDate | None = Field(
        default=None, description="Service vouchers run 365 days from this date (default today)."
    )
    authorized_services: list[AuthorizedService] = Field(min_length=1, max_length=50)
    max_value: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)
    release_date: RecordDate | None = Field(
        default=None, description="Re-entry only: the client's release date (≤ 14 days away)."
    )


class SelectProvider(Contract):
    """``POST /v1/vouchers/{id}/selection``: the client's provider choice."""

    provider_id: Id


class ReportAdmission(Contract):
    """``POST /v1/vouchers/{id}/admission``: the selected provider admitted the client."""

    admitted_on: RecordDate


class ExtendVoucher(Contract):
    """``POST /v1/vouchers/{id}/extension``: a utilisation-review decision."""

    new_valid_until: RecordDate
    reason: Annotated[str, Field(min_length=3, max_length=500), NoControlCharacters]


class CloseVoucher(Contract):
    """``POST /v1/vouchers/{id}/closure``: only moved out of state or death."""

    reason: Literal["moved_out_of_state", "death"]
    closed_on: RecordDate | None = None


class DischargeClient(Contract):
    """``POST /v1/vouchers/{id}/discharge``: separation from the provider."""

    discharged_on: RecordDate
    reason: Annotated[str, Field(min_length=1, max_length=64), NoControlCharacters] = Field(
        default="completed", examples=["completed", "transferred"]
    )


class Relationship(Answer):
    """Internal ``GET /relationships/{client_id}/{provider_id}``: the provider holds, or
    held within the grace, one of the client's vouchers."""

    client_id: str
    provider_id: str
    active: bool
    held_until: date | None = Field(
        default=None, description="The last day of the reporting grace of an ended one."
    )
