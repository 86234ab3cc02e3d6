"""Events on ``atr.clients.v1`` (keyed by ``client_id``): client facts without PHI.

The client is identified only by the platform's pseudonymous ``client_id``. No name, SSN,
date of birth, address, diagnosis or instrument score ever appears here (SPEC §3.1,
no PHI on Kafka); consumers get only what they need to decide: eligibility,
treatment status (claims: level-one caps, residential conditions), authorised services
(vouchers), GPRA completeness and drug-test outcomes (payments, reporting).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field

from contracts.envelope import Event, EventData
from contracts.fields import Code

TreatmentStatus = Literal["none", "level_1", "level_1_residential", "level_2", "level_3"]
"""Clinical treatment status (SPEC §3.1; seed 000 level-one caps and residential rules)."""

Year = Annotated[int, Field(ge=1900, le=2200, examples=[2028])]
"""A calendar year."""

GpraKind = Literal["intake", "follow_up", "discharge", "post_exit"]
"""When a GPRA interview was conducted (seed 003 App. C)."""


class ClientEnrolledData(EventData):
    """A person entered the program (or returned: ``returning`` is then true)."""

    client_id: str = Field(examples=["CL-7F3A9C21"])
    returning: bool = Field(description="The person was already known (same client_id).")
    minor: bool = Field(default=False, description="Under 18 on the intake date.")
    turns_18_in: Year | None = Field(
        default=None,
        description="For a minor: the calendar year the client turns 18, so that minority "
        "is judged on each service date, not fixed at intake (seed 002 Qualifications §2 "
        '"delivering case management services to children/minors"). The year only: no '
        "birth date (or day derived from it) is published. A service dated in that year "
        "counts as a minor's.",
    )
    county: str | None = Field(default=None, examples=["Boone"])
    enrolled_on: date


class ClientEnrolled(Event):
    """Intake established the client's identity (SPEC §3.1)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.client.enrolled"] = "atr.client.enrolled"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ClientEnrolledData


class EligibilityDeterminedData(EventData):
    """A recorded eligibility determination: outcome, who and when (inputs stay private)."""

    client_id: str
    determination_id: str
    eligible: bool
    determined_on: date
    determined_by: str = Field(description="Token id of the assessor who decided.")
    assessor_organisation_id: str | None = None
    assessment_voucher_days: int = Field(
        default=30, description="Validity of the assessment voucher (seed 003 App. E §4)."
    )


class EligibilityDetermined(Event):
    """Eligibility was decided; an eligible client gets a 30-day assessment voucher."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.client.eligibility_determined"] = "atr.client.eligibility_determined"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: EligibilityDeterminedData


class ServiceAuthorization(EventData):
    """One service a voucher authorises: units and/or an amount (SPEC §3.3).

    In events (unknown fields ignored); a request body gives it as the strict
    :class:`AuthorizedService`, which an event field takes and stores as this class.
    """

    model_config = ConfigDict(revalidate_instances="subclass-instances")

    service_code: Code = Field(examples=["RECOVERY_MENTORING_IND"])
    units: int | None = Field(default=None, gt=0, le=100_000, examples=[40])
    amount: Decimal | None = Field(
        default=None, gt=0, max_digits=12, decimal_places=2, examples=["400.00"]
    )


class AuthorizedService(ServiceAuthorization):
    """:class:`ServiceAuthorization` as a request body gives it: unknown fields refused."""

    model_config = ConfigDict(extra="forbid")


class ClientAssessedData(EventData):
    """An assessment's outcome as other services need it (no diagnosis, no scores)."""

    client_id: str
    assessment_id: str
    case_number: int = Field(ge=1, description="Counts the client's assessments.")
    assessed_on: date
    level_of_care: str = Field(examples=["outpatient"])
    treatment_status: TreatmentStatus
    authorized_services: list[ServiceAuthorization] = Field(default_factory=list)
    max_value: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    attributes: list[str] = Field(
        default_factory=list,
        description="Program facts rules depend on, e.g. `national_guard_referral` (seed 001 "
        "Recovery Home). Assessments recorded before the per-trip transport "
        "pre-authorisation may carry `transport_preauthorized` or `employment_coaching_plan`, "
        "which no rule reads.",
    )
    assessor_organisation_id: str | None = None
    assessed_by: str = Field(description="Token id of the assessor.")


class ClientAssessed(Event):
    """An assessment was recorded; vouchers creates the 365-day service voucher from it."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.client.assessed"] = "atr.client.assessed"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ClientAssessedData


class TreatmentStatusChangedData(EventData):
    """The client's clinical treatment status from a date on (SPEC §3.1)."""

    client_id: str
    treatment_status: TreatmentStatus
    effective_from: date
    reported_by: str | None = Field(default=None, description="Provider id, when a provider.")


class TreatmentStatusChanged(Event):
    """Clinical treatment status changed (used by the level-one and residential rules)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.client.treatment_status_changed"] = "atr.client.treatment_status_changed"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: TreatmentStatusChangedData


class RetentionSessions(EventData):
    """Sessions/days of one item 7.1 service category in the past 30 days."""

    category: str = Field(
        description="As in the GPRA interview's `retention.sessions`.",
        examples=["recovery_coaching"],
    )
    sessions: int = Field(ge=0, le=99, examples=[4])


class GpraOutcomes(EventData):
    """The interview's outcome indicators per domain, derived in eligibility from the
    answers (seed 003 App. C §5a; SPEC §3.6): booleans and counts only, nothing that
    identifies the client. An indicator is null when its domain was not answered."""

    abstinent: bool | None = Field(
        default=None,
        description="No alcohol and no illegal drug use in the past 30 days (items 1.1 a "
        "and 1.1 c both 0 days).",
    )
    alcohol_days: int | None = Field(
        default=None, ge=0, le=30, description="Days of any alcohol use (item 1.1 a)."
    )
    illegal_drug_days: int | None = Field(
        default=None, ge=0, le=30, description="Days of illegal drug use (item 1.1 c)."
    )
    employed_or_in_school: bool | None = Field(
        default=None,
        description="Employed full or part time (item 2.1) or enrolled in school or job "
        "training full or part time (item 2.3).",
    )
    no_arrests: bool | None = Field(
        default=None, description="Not arrested in the past 30 days (item 3.1 is 0)."
    )
    housed: bool | None = Field(
        default=None,
        description="Living most of the past 30 days in dependent or independent living, "
        "not homeless (item 4.1).",
    )
    social_support: bool | None = Field(
        default=None,
        description="Attended a self-help, faith-based or other recovery group, or had "
        "family or friends supportive of recovery, in the past 30 days (items 5.1-5.4).",
    )
    sessions: list[RetentionSessions] = Field(
        default_factory=list,
        description="Sessions/days per item 7.1 service category in the past 30 days "
        "(categories answered only).",
    )
    last_service_on: date | None = Field(
        default=None, description="Item 7.2 2.a, last clinical or paid recovery service."
    )
    discharged_on: date | None = Field(default=None, description="Item 7.2 2.b, discharge date.")


class GpraRecordedData(EventData):
    """A GPRA interview was recorded; the answers stay in eligibility."""

    client_id: str
    interview_id: str
    kind: GpraKind
    conducted_on: date
    complete: bool = Field(description="Every required item of the seven domains answered.")
    provider_id: str | None = None
    discharge_reason: str | None = Field(
        default=None,
        description="GPRA item 7.2 2.c, reason for discharge, when answered (payments "
        "counts `treatment_completed` towards the incentive pool; seed 003 §II footnote 2).",
        examples=["treatment_completed"],
    )
    brief_intervention: bool = Field(
        default=False,
        description="A brief intervention: exempt from the drug-test part of a successful "
        "completion (seed 003 §II footnote 2).",
    )
    outcomes: GpraOutcomes | None = Field(
        default=None,
        description="The seven domains' outcome indicators (no PHI), for the GPRA report.",
    )


class GpraRecorded(Event):
    """GPRA interview recorded (seed 003 App. C); payments releases holdbacks on discharge."""

    type: Literal["atr.client.gpra_recorded"] = "atr.client.gpra_recorded"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: GpraRecordedData


class DrugTestRecordedData(EventData):
    """A drug test: date, random or not, result (seed 003 §II footnote 2)."""

    client_id: str
    test_id: str
    tested_on: date
    random: bool
    result: Literal["negative", "positive"]
    provider_id: str | None = None


class DrugTestRecorded(Event):
    """Drug test recorded (successful-completion incentive uses the last four random)."""

    type: Literal["atr.client.drug_test_recorded"] = "atr.client.drug_test_recorded"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: DrugTestRecordedData


class ChoiceExceptionRecordedData(EventData):
    """The network could not meet the choice rule for a client and service (SPEC §3.2):
    what fell short and which providers were offered. No PHI."""

    client_id: str
    exception_id: str
    service_code: str
    county: str | None = None
    shortfalls: list[str] = Field(examples=[["FEWER_THAN_TWO_PROVIDERS"]])
    offered: list[str] = Field(description="Provider ids on the list offered.")
    recorded_on: date
    organisation_id: str | None = Field(default=None, description="The assessor's organisation.")


class ChoiceExceptionRecorded(Event):
    """A choice exception was recorded (SPEC §3.2: "the system records a choice
    exception, which reports show")."""

    type: Literal["atr.client.choice_exception_recorded"] = "atr.client.choice_exception_recorded"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ChoiceExceptionRecordedData


class ChoiceListOfferedData(EventData):
    """The list of eligible providers an assessor offered a client for one service (seed
    003 App. E §4(2) "Assessment staff provided the client with ... a list of the
    various eligible providers. The client selected a provider"). Ids only, no PHI: the
    vouchers service accepts a selection only from the latest list offered."""

    client_id: str
    offer_id: str
    service_code: str
    county: str | None = None
    provider_ids: list[str] = Field(description="Provider ids on the list offered, in order.")
    choice_exception_id: str | None = Field(
        default=None,
        description="The choice exception recorded with this offer when the network could "
        "not meet the choice rule (then any eligible provider offering the service may be "
        "selected).",
    )
    offered_at: datetime
    organisation_id: str | None = Field(default=None, description="The assessor's organisation.")


class ChoiceListOffered(Event):
    """A choice list was offered to a client for a service (SPEC §3.2; seed 003 App. E
    §4(2))."""

    type: Literal["atr.client.choice_list_offered"] = "atr.client.choice_list_offered"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ChoiceListOfferedData


ClientEvent = Annotated[
    ClientEnrolled
    | EligibilityDetermined
    | ClientAssessed
    | TreatmentStatusChanged
    | GpraRecorded
    | DrugTestRecorded
    | ChoiceExceptionRecorded
    | ChoiceListOffered,
    Field(discriminator="type"),
]
"""Any event on ``atr.clients.v1``."""
