"""Claims: the line a provider EHR posts and the events around its adjudication.

``SubmitClaim`` is the body of ``POST /v1/claims`` (SPEC §3.4 fields, snake_case,
unknown fields rejected). The gateway publishes ``ClaimSubmitted`` on
``atr.claims.submitted.v1`` keyed by ``client_id``; claim workers publish
``ClaimAdjudicated`` on ``atr.claims.adjudicated.v1``. Neither carries a client's
identity (name, SSN, date of birth): the client is its ``client_id``. A submitted line
may carry ICD-10-CM diagnosis codes (clinical data, internal to the gateway and the claim
workers); the adjudication events state systems read do not carry them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, ValidationInfo, field_validator

from contracts.billing_codes import (
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    DiagnosisCode,
    Modifier,
    Npi,
    PlaceOfService,
    ProcedureCode,
)
from contracts.envelope import Contract, Event, EventData
from contracts.fields import Code, Id, LocalTime, RecordDate, ShortText
from contracts.reasons import Reason

Outcome = Literal["approved", "partially_approved", "denied"]
"""Adjudication outcome (SPEC §3.4)."""

REASON_CODES: tuple[str, ...] = tuple(Reason)
"""Denial reason codes, normative (SPEC §3.4): the values of :class:`Reason`."""


MAX_RANGE_DAYS = 31
"""The most days one date-range line (``service_date`` to ``service_date_to``) covers."""


def range_days(first: date, last: date) -> int:
    """Days from ``first`` to ``last`` inclusive (0 when ``last`` is before ``first``)."""
    return max((last - first).days + 1, 0)


class ClaimFrequency(StrEnum):
    """What a submitted line does to the provider's earlier claims (the claim frequency
    of X12 ``CLM05-3``: 1 original, 7 replacement, 8 void; ``contracts/x12_codes.py``).

    ``original`` is a new claim. ``void`` voids the earlier claim named by
    ``replaces_claim_ref`` (corrected to 0 units, as ``POST /v1/claims/{id}/corrections``
    does) and submits nothing new. ``replacement`` voids the earlier claim that way and
    submits this line as a new claim under its own ``claim_ref``.
    """

    ORIGINAL = "original"
    REPLACEMENT = "replacement"
    VOID = "void"


class SubmitClaim(Contract):
    """One claim line as a provider EHR posts it (SPEC §3.4).

    Checked at the edge so that every accepted line can be decided: ids and the service
    code are constrained, free text is short and has no control characters, start and
    end are local times of day without a UTC offset and the end comes after the start.
    Whether ``service_code`` is in the program and ``service_date`` in its window is
    checked by the gateway against the active catalog.
    """

    checks_time_order: ClassVar[bool] = True

    claim_ref: Id = Field(description="The provider's own id; with provider_id, idempotency key.")
    provider_id: Id
    client_id: Id
    voucher_id: Id
    service_code: Code = Field(examples=["RECOVERY_MENTORING_IND"])
    service_date: date
    units: int = Field(gt=0, le=10_000, description="Billed units of the service's unit.")
    service_date_to: date | None = Field(
        default=None,
        description="Last day (inclusive) of a per-diem stay billed on one line, from "
        "`service_date`: only for a service whose unit is a day, with `units` the number "
        f"of days, at most {MAX_RANGE_DAYS}. Each day is decided as its own line would be.",
    )
    staff_id: Id
    start_time: LocalTime | None = Field(
        default=None, description="Local time of day without an offset, e.g. `09:30`."
    )
    end_time: LocalTime | None = Field(
        default=None, description="Local time of day, after `start_time` (same day)."
    )
    group_size: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Participants in the session: the clients and, where the service admits "
        "them (family engagement), members of a client's support system; staff are not "
        "counted. Group maxima count participants.",
    )
    group_clients: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="How many of the participants are clients (consumers); at most "
        "`group_size`. Group minima count clients. Without it every participant counts as "
        "a client, except in family engagement, whose lines with more than one participant "
        "must state it.",
    )
    client_signature: bool | None = None
    face_to_face: bool | None = None
    miles: Decimal | None = Field(default=None, ge=0, max_digits=8, decimal_places=2)
    pass_type: Literal["daily", "weekly", "monthly"] | None = None
    pass_serial: ShortText | None = None
    pass_price: Decimal | None = Field(default=None, ge=0, max_digits=8, decimal_places=2)
    activity: ShortText | None = None
    trip_authorization: ShortText | None = Field(
        default=None,
        description="The reference of the pre-authorisation of this trip, for a service "
        'whose trips are each pre-authorised (seed 001 Transportation: "Transportation '
        'costs must be preauthorized on an individual basis"); one trip per reference.',
    )
    missed_appointment_on: RecordDate | None = Field(
        default=None,
        description="For a re-engagement contact: the date of the scheduled program "
        'activity the client failed to appear at (seed 004 (A)3 "Such efforts should be '
        'initiated within forty-eight (48) hours").',
    )
    documented_purpose: ShortText | None = Field(
        default=None,
        description="What in the client record the service addresses, for an activity "
        "billable only so (seed 004 (B)7 transport to resolve an immediate crisis or a "
        "clearly documented need, (B)8 a home visit related to the rehabilitation plan "
        "goals): the crisis, the documented need or the plan goal, by its record reference.",
    )
    rendering_npi: Npi | None = Field(
        default=None, description="NPI of the practitioner who delivered the service."
    )
    billing_npi: Npi | None = Field(
        default=None, description="NPI of the provider organisation billing the line."
    )
    procedure_code: ProcedureCode | None = Field(
        default=None,
        description="HCPCS code of the service; when given, it must be the code the "
        "program's catalog bills `service_code` under (`GET /v1/program`), else 422.",
    )
    modifiers: list[Modifier] | None = Field(
        default=None,
        max_length=MAX_MODIFIERS,
        description="Up to four two-character procedure modifiers.",
        examples=[["HQ"]],
    )
    diagnosis_codes: list[DiagnosisCode] | None = Field(
        default=None,
        max_length=MAX_DIAGNOSES,
        description="ICD-10-CM diagnosis codes, at most twelve.",
        examples=[["F11.20"]],
    )
    place_of_service: PlaceOfService | None = Field(
        default=None, description="CMS two-digit place-of-service code, `01` to `99`."
    )
    frequency: ClaimFrequency = Field(
        default=ClaimFrequency.ORIGINAL,
        description="`original` (a new claim), `replacement` (voids the earlier claim "
        "`replaces_claim_ref` and submits this line as a new claim under its own "
        "`claim_ref`) or `void` (voids the earlier claim; nothing new is submitted). The "
        "X12 claim frequency codes 1, 7 and 8.",
    )
    replaces_claim_ref: Id | None = Field(
        default=None,
        validate_default=True,
        description="The `claim_ref` of the provider's earlier claim a `replacement` or "
        "`void` acts on (required for them, refused for an `original`).",
    )

    @field_validator("replaces_claim_ref")
    @classmethod
    def _names_the_earlier_claim(cls, earlier: str | None, info: ValidationInfo) -> str | None:
        """A replacement or void names the earlier claim it acts on, an original names
        none; a replacement is a new claim, so under another ``claim_ref`` than the one
        it replaces (the error names ``replaces_claim_ref``; a frequency that failed its
        own check is not compared)."""
        frequency = info.data.get("frequency")
        if frequency is None:
            return earlier
        if frequency is ClaimFrequency.ORIGINAL:
            if earlier is not None:
                raise ValueError("only a replacement or a void names an earlier claim")
            return earlier
        if earlier is None:
            raise ValueError(f"a {frequency} names the earlier claim's claim_ref")
        if frequency is ClaimFrequency.REPLACEMENT and earlier == info.data.get("claim_ref"):
            raise ValueError("a replacement is a new claim: give it its own claim_ref")
        return earlier

    @field_validator("group_clients")
    @classmethod
    def _clients_among_participants(cls, clients: int | None, info: ValidationInfo) -> int | None:
        """``group_clients`` counts participants who are clients, so it cannot exceed
        ``group_size`` (the error names ``group_clients``)."""
        size = info.data.get("group_size")
        if clients is not None and size is not None and clients > size:
            raise ValueError("cannot exceed group_size (clients are among the participants)")
        return clients

    @field_validator("service_date_to")
    @classmethod
    def _range_of_days(cls, last: date | None, info: ValidationInfo) -> date | None:
        """A date range runs forward from ``service_date``, spans at most
        :data:`MAX_RANGE_DAYS` days and bills one unit per day (``units`` equals its
        days); the error names ``service_date_to`` (a start or units that failed their
        own checks are not compared). Whether the service is billed by the day is the
        gateway's check against the catalog."""
        first, units = info.data.get("service_date"), info.data.get("units")
        if last is None or first is None:
            return last
        days = range_days(first, last)
        if days == 0:
            raise ValueError("must be on or after service_date")
        if days > MAX_RANGE_DAYS:
            raise ValueError(f"a date range covers at most {MAX_RANGE_DAYS} days")
        if units is not None and units != days:
            raise ValueError(f"covers {days} days, so units must be {days} (one per day)")
        return last

    @field_validator("end_time")
    @classmethod
    def _end_after_start(cls, end: time | None, info: ValidationInfo) -> time | None:
        """``end_time`` after ``start_time`` when both are given (the error names
        ``end_time``; a start that failed its own check is not compared)."""
        start = info.data.get("start_time")
        if cls.checks_time_order and end is not None and start is not None and end <= start:
            raise ValueError("must be after start_time (a line cannot span midnight)")
        return end


class SubmitClaimBatch(Contract):
    """``POST /v1/claims/batch``: up to 1,000 lines, each validated like a single claim."""

    claims: list[SubmitClaim] = Field(min_length=1, max_length=1000)


class CorrectClaim(Contract):
    """``POST /v1/claims/{id}/corrections``: the provider corrects a decided line.

    A correction only reduces: ``units`` is what was actually delivered, fewer than
    billed; ``0`` voids the line. More units are billed on a new claim. The allowed
    units become the lesser of the allowed and the corrected units, at the line's rate.
    """

    units: int = Field(ge=0, le=10_000, description="Units delivered; 0 voids the line.")
    reason: ShortText | None = Field(default=None, examples=["billed in error"])


class ClaimSubmittedData(SubmitClaim):
    """The accepted line with the platform's claim id and acceptance time.

    Event data, so unknown fields are ignored (a newer gateway may add one), while the
    request body it extends (:class:`SubmitClaim`) still refuses them.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    # The claim workers read this from a topic that still holds lines older gateways
    # accepted under looser rules, so it is as lenient as those were wherever the worker
    # can still decide such a line: a service code outside the new pattern is denied
    # NOT_BILLABLE, an end not after the start counts 0 minutes, free text is only
    # stored. A time with a UTC offset is refused even here (the wall-clock time it
    # means is unknowable): such an old line goes to the dead-letter topic.
    checks_time_order: ClassVar[bool] = False

    service_code: str = Field(min_length=1, max_length=64, examples=["RECOVERY_MENTORING_IND"])
    pass_serial: str | None = Field(default=None, max_length=64)
    activity: str | None = Field(default=None, max_length=64)
    trip_authorization: str | None = Field(default=None, max_length=64)
    documented_purpose: str | None = Field(default=None, max_length=64)
    claim_id: str
    submitted_at: AwareDatetime
    filed_on: date | None = Field(
        default=None,
        description="The program date (the platform clock's) on which the gateway accepted "
        "the line: what the program's timely filing limit is measured against. Absent on "
        "lines accepted before it was recorded (no filing limit is applied to them).",
    )


class ClaimSubmitted(Event):
    """Accepted by the gateway (202); keyed by ``client_id`` for per-client order."""

    type: Literal["atr.claim.submitted"] = "atr.claim.submitted"
    source: str = "/atr/gateway"
    schemaversion: Literal[1] = 1
    data: ClaimSubmittedData


class ClaimAdjudicatedData(EventData):
    """The decision on one claim line."""

    claim_id: str
    claim_ref: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    service_date_to: date | None = Field(
        default=None, description="Last day of a per-diem line billed as a date range."
    )
    billed_units: int
    allowed_units: int
    denied_units: int
    unit_rate: Decimal | None
    allowed_amount: Decimal
    denied_amount: Decimal
    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    adjudicated_at: datetime


class ClaimAdjudicated(Event):
    """A claim line was decided; payments funds it, vouchers updates balances."""

    type: Literal["atr.claim.adjudicated"] = "atr.claim.adjudicated"
    source: str = "/atr/claims"
    schemaversion: Literal[1] = 1
    data: ClaimAdjudicatedData


class ClaimCorrectedData(EventData):
    """A decided line reduced or voided by its provider: the line as it now stands and
    what it allowed before (consumers apply the difference)."""

    claim_id: str
    claim_ref: str
    correction_id: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    billed_units: int
    allowed_units: int
    allowed_amount: Decimal
    unit_rate: Decimal | None
    previous_billed_units: int
    previous_allowed_units: int
    previous_allowed_amount: Decimal
    voided: bool = Field(description="The line was voided (corrected to 0 units).")
    corrected_at: datetime


class ClaimCorrected(Event):
    """A decided line was reduced or voided; vouchers give the units back, payments
    reverses the funding (an adjustment on the next invoice when it was invoiced)."""

    type: Literal["atr.claim.corrected"] = "atr.claim.corrected"
    source: str = "/atr/claims"
    schemaversion: Literal[1] = 1
    data: ClaimCorrectedData


ClaimSubmittedEvent = Annotated[ClaimSubmitted, Field(discriminator="type")]
ClaimAdjudicatedEvent = Annotated[ClaimAdjudicated | ClaimCorrected, Field(discriminator="type")]
"""Any event on ``atr.claims.adjudicated.v1``: decisions and their corrections."""
