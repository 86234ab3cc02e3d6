"""Events on ``atr.vouchers.v1`` (keyed by ``voucher_id``, ordered per voucher).

State systems subscribe to this topic (SPEC §3.3, README "Voucher events for state
systems"). Each lifecycle change is its own event type; every event carries the whole
voucher as it is after the change (``voucher``) plus what changed, so a subscriber that
joins late needs only the latest event per voucher. No PHI: the client appears only as
the pseudonymous ``client_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from contracts.clients import ServiceAuthorization
from contracts.envelope import Event, EventData

VoucherKind = Literal["assessment", "service", "reentry"]
"""Assessment (30 days), service (365 days from assessment), re-entry coordination."""

VoucherStatus = Literal["issued", "provider_selected", "active", "discharged", "closed", "expired"]
"""Lifecycle state (SPEC §3.3): chargeable only while ``active``."""

ClosureReason = Literal["moved_out_of_state", "death"]
"""The only reasons a voucher may be closed early (seed 003 App. E §4)."""


class ServiceBalance(EventData):
    """Authorised, used and remaining units and value of one service on a voucher."""

    service_code: str
    authorized_units: int | None = None
    authorized_amount: Decimal | None = None
    used_units: int = 0
    used_amount: Decimal = Decimal("0.00")
    remaining_units: int | None = None
    remaining_amount: Decimal | None = None


class VoucherSnapshot(EventData):
    """The voucher after the change the event reports."""

    voucher_id: str = Field(examples=["VCH-5D2E0A7B19"])
    client_id: str = Field(examples=["CL-7F3A9C21"])
    kind: VoucherKind
    status: VoucherStatus
    version: int = Field(ge=1, description="Increments with every change; orders events.")
    issued_on: date
    valid_from: date
    valid_until: date
    authorized_services: list[ServiceAuthorization] = Field(default_factory=list)
    max_value: Decimal | None = None
    provider_id: str | None = Field(default=None, description="The selected provider.")
    admitted_on: date | None = Field(
        default=None, description="Admission date reported by the provider."
    )
    admission_recorded_at: datetime | None = Field(
        default=None, description="When the platform acknowledged the admission."
    )
    assessment_id: str | None = None
    discharged_on: date | None = Field(default=None, description="Separation date, if any.")
    closed_on: date | None = Field(default=None, description="Early closure date, if any.")
    used_amount: Decimal = Decimal("0.00")
    balances: list[ServiceBalance] = Field(default_factory=list)


class VoucherIssuedData(EventData):
    """A voucher was created."""

    voucher: VoucherSnapshot
    issued_by: str = Field(description="Token id or `system` (assessment vouchers).")


class VoucherIssued(Event):
    """A voucher was issued (assessment, service or re-entry)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.issued"] = "atr.voucher.issued"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: VoucherIssuedData


class ProviderSelectedData(EventData):
    """The client chose a provider; the voucher packet is available to it."""

    voucher: VoucherSnapshot
    provider_id: str
    selected_by: str
    self_referral: bool = Field(description="The assessor's own organisation was chosen.")


class VoucherProviderSelected(Event):
    """The client's provider choice was recorded (SPEC §3.2)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.provider_selected"] = "atr.voucher.provider_selected"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: ProviderSelectedData


class ActivatedData(EventData):
    """The selected provider reported the admission; the voucher is now chargeable."""

    voucher: VoucherSnapshot
    admitted_on: date


class VoucherActivated(Event):
    """Admission reported: the voucher is chargeable from the admission date."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.activated"] = "atr.voucher.activated"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: ActivatedData


class ExtendedData(EventData):
    """A utilisation-review decision moved the expiry."""

    voucher: VoucherSnapshot
    previous_valid_until: date
    new_valid_until: date
    decided_by: str
    reason: str = Field(description="The utilisation-review rationale (no PHI).")


class VoucherExtended(Event):
    """Expiry extended by utilisation review (seed 003 App. E §4)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.extended"] = "atr.voucher.extended"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: ExtendedData


class ClosedData(EventData):
    """Early closure for one of the two allowed reasons."""

    voucher: VoucherSnapshot
    reason: ClosureReason
    closed_on: date
    closed_by: str


class VoucherClosed(Event):
    """Closed early: moved out of state or death."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.closed"] = "atr.voucher.closed"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: ClosedData


class ExpiredData(EventData):
    """The validity period ended."""

    voucher: VoucherSnapshot
    expired_on: date


class VoucherExpired(Event):
    """The scheduler found the voucher past its validity."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.expired"] = "atr.voucher.expired"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: ExpiredData


class DischargedData(EventData):
    """The provider discharged (separated) the client."""

    voucher: VoucherSnapshot
    provider_id: str
    discharged_on: date
    reason: str = Field(examples=["completed", "left_against_advice", "transferred"])


class VoucherDischarged(Event):
    """Separation from the provider: ends the episode there (SPEC §3.3)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.voucher.discharged"] = "atr.voucher.discharged"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: DischargedData


class BalanceLine(EventData):
    """One adjudicated claim's allowed units and amount, added to the balance (negative
    for a correction that gives units back)."""

    claim_id: str
    service_code: str
    units: int
    amount: Decimal


class BalanceChangedData(EventData):
    """Adjudicated claims changed what is used and remains (one or more claims)."""

    voucher: VoucherSnapshot
    lines: list[BalanceLine] = Field(min_length=1)


class VoucherBalanceChanged(Event):
    """Balance moved by an adjudicated claim (from ``atr.claims.adjudicated.v1``)."""

    type: Literal["atr.voucher.balance_changed"] = "atr.voucher.balance_changed"
    source: str = "/atr/vouchers"
    schemaversion: Literal[1] = 1
    data: BalanceChangedData


VoucherEvent = Annotated[
    VoucherIssued
    | VoucherProviderSelected
    | VoucherActivated
    | VoucherExtended
    | VoucherClosed
    | VoucherExpired
    | VoucherDischarged
    | VoucherBalanceChanged,
    Field(discriminator="type"),
]
"""Any event on ``atr.vouchers.v1``."""
