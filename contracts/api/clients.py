"""Client commands (SPEC §3.1, §4): intake, eligibility, assessment, GPRA, drug tests,
consent, religious objections and treatment status.

These bodies carry PHI (names, SSN, date of birth, clinical facts) into the eligibility
service only; none of it is ever put on Kafka. Every model forbids unknown fields.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from contracts.api import Answer
from contracts.clients import AuthorizedService, GpraKind, TreatmentStatus
from contracts.envelope import Contract
from contracts.fields import BirthDate, Code, Id, NoControlCharacters, RecordDate

Name = Annotated[str, Field(min_length=1, max_length=100), NoControlCharacters]
"""A name or label typed by a person (a given name, a county, an affiliation)."""

Instrument = Annotated[str, Field(min_length=1, max_length=40), NoControlCharacters]
"""An instrument or score name (``AUDIT``, ``ASI``)."""

DaysInPast30 = Annotated[int, Field(ge=0, le=30)]
"""A count of days in the past 30 days (seed 003 App. C §5a domains 1, 3)."""


class ReligiousObjections(Contract):
    """Providers or affiliations the client objects to (seed 003 App. C §1a)."""

    provider_ids: list[Id] = Field(default_factory=list, max_length=100)
    affiliations: list[Name] = Field(default_factory=list, max_length=50, examples=[["Methodist"]])
    all_faith_based: bool = Field(
        default=False, description="The client objects to every faith-based provider."
    )


class Intake(Contract):
    """``POST /v1/clients``: establish identity (seed 003 App. E §3: name, SSN, birth date)."""

    given_name: Name
    family_name: Name
    date_of_birth: BirthDate
    ssn: str | None = Field(
        default=None,
        pattern=r"^\d{3}-?\d{2}-?\d{4}$",
        description="Social Security number; kept only as a keyed hash and its last four "
        "digits. Optional: intake without an SSN is flagged for review when the name and "
        "date of birth match someone.",
    )
    county: Name | None = Field(default=None, examples=["Boone"])
    religious_objections: ReligiousObjections | None = None


class EligibilityInputs(Contract):
    """Facts behind a financial eligibility determination (kept in eligibility only)."""

    annual_household_income: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    household_size: int = Field(ge=1, le=30)
    state_resident: bool
    substance_use_disorder: bool = Field(description="Screening indicates a SUD.")
    insured_for_services: bool = False
    notes: Annotated[str, Field(max_length=1000), NoControlCharacters] | None = None


class DetermineEligibility(Contract):
    """``POST /v1/clients/{id}/eligibility``: the assessor's determination (SPEC §3.1)."""

    inputs: EligibilityInputs
    eligible: bool
    determined_on: RecordDate | None = Field(default=None, description="Defaults to today.")


# --- GPRA (seed 003 App. C §5a, seven domains) ---------------------------------------


class AlcoholDrugUse(Contract):
    """Domain 1, Abstinence: days of use in the past 30 days (items 1.1 a-c, 1.2 a-j)."""

    any_alcohol: DaysInPast30
    alcohol_intoxication_5_plus: DaysInPast30 | None = None
    alcohol_intoxication_4_or_fewer: DaysInPast30 | None = None
    illegal_drugs: DaysInPast30
    cocaine_crack: DaysInPast30 | None = None
    marijuana_hashish: DaysInPast30 | None = None
    heroin_opiates: DaysInPast30 | None = None
    hallucinogens: DaysInPast30 | None = None
    methamphetamine_amphetamines: DaysInPast30 | None = None
    benzodiazepines: DaysInPast30 | None = None
    barbiturates: DaysInPast30 | None = None
    ecstasy_club_drugs: DaysInPast30 | None = None
    ketamine: DaysInPast30 | None = None
    inhalants: DaysInPast30 | None = None


class EmploymentEducation(Contract):
    """Domain 2, Employment/Education (items 2.1-2.3)."""

    employment: Literal["full_time", "part_time", "unemployed", "not_in_labor_force"]
    not_in_labor_force_status: (
        Literal["student", "homemaker", "retired", "disabled", "inmate"] | None
    ) = None
    education: Literal["not_enrolled", "enrolled_full_time", "enrolled_part_time", "other"]
    education_other: Annotated[str, Field(max_length=200), NoControlCharacters] | None = None


class CrimeCriminalJustice(Contract):
    """Domain 3, Crime and Criminal Justice: past 30 days (items 3.1-3.3)."""

    arrests: int = Field(ge=0, le=99)
    drug_alcohol_arrests: int | None = Field(default=None, ge=0, le=99)
    nights_in_jail: DaysInPast30 | None = None


class FamilyLivingConditions(Contract):
    """Domain 4, Family and Living Conditions (items 4.1, 4.2, 2.a-2.d)."""

    living: Literal["homeless", "dependent_living", "independent_living"]
    has_children: bool
    children: int | None = Field(default=None, ge=1, le=30)
    children_under_protection_order: bool | None = None
    children_living_elsewhere: int | None = Field(default=None, ge=1, le=30)
    children_parental_rights_lost: int | None = Field(default=None, ge=0, le=30)


class SocialSupport(Contract):
    """Domain 5, Social Support of Recovery: past 30 days (items 5.1-5.4)."""

    self_help_groups: bool
    faith_recovery_groups: bool
    other_recovery_organisations: bool
    supportive_family_friends: bool


class AccessCapacity(Contract):
    """Domain 6, Access/Capacity (items 6.1-6.3): program counts as the provider reports
    them; reporting also derives them from voucher and provider events."""

    people_with_vouchers: int | None = Field(default=None, ge=0)
    vouchers_issued: int | None = Field(default=None, ge=0)
    providers_designated: int | None = Field(default=None, ge=0)


RetentionService = Literal[
    "screening_assessment",
    "brief_intervention",
    "treatment_planning",
    "detoxification",
    "medical_care",
    "substance_abuse_education",
    "individual_counseling",
    "group_counseling",
    "family_marriage_counseling",
    "pharmacological_interventions",
    "co_occurring_treatment",
    "family_services",
    "pre_employment_counseling",
    "case_management",
    "relapse_prevention",
    "continuing_care",
    "alcohol_drug_testing",
    "outreach",
    "individual_services_coordination",
    "recovery_coaching",
    "family_support_childcare",
    "transportation",
    "supportive_transitional_housing",
    "self_help_support_groups",
    "spiritual_support",
    "employment_coaching",
    "other",
]
"""The 27 service categories of item 7.1 (7.1.1 … 7.1.27)."""

DischargeReason = Literal[
    "treatment_completed",
    "transferred",
    "administrative_discharge",
    "incarcerated",
    "death",
    "lost_contact",
]
"""Item 7.2 2.c, reason for discharge."""


class Retention(Contract):
    """Domain 7, Retention: sessions/days per service in the past 30 days (7.1) and
    length of stay (7.2)."""

    sessions: dict[RetentionService, Annotated[int, Field(ge=0, le=99)]] = Field(
        default_factory=dict, description="Sessions/days per item 7.1 category."
    )
    last_service_date: RecordDate | None = None
    discharge_date: RecordDate | None = None
    discharge_reason: DischargeReason | None = None


class GpraInterview(Contract):
    """``POST /v1/clients/{id}/gpra``: one GPRA interview (seed 003 App. C §5a).

    Domains may be absent (the interview is then recorded as incomplete); answers given
    are validated item by item, including the skip logic of the instrument.
    """

    kind: GpraKind
    conducted_on: RecordDate
    brief_intervention: bool = Field(
        default=False, description="Brief interventions report drug/alcohol use only."
    )
    provider_id: Id | None = None
    alcohol_drug_use: AlcoholDrugUse | None = None
    employment_education: EmploymentEducation | None = None
    crime_criminal_justice: CrimeCriminalJustice | None = None
    family_living_conditions: FamilyLivingConditions | None = None
    social_support: SocialSupport | None = None
    access_capacity: AccessCapacity | None = None
    retention: Retention | None = None


# --- assessment, status, drug tests, consent ---------------------------------------


class ScreeningResult(Contract):
    """A screening instrument's result (seed 003 App. D §I: CAGE, AUDIT, DAST, CRAFFT…)."""

    instrument: Instrument = Field(examples=["AUDIT"])
    score: Decimal = Field(max_digits=8, decimal_places=3)
    positive: bool


class Assess(Contract):
    """``POST /v1/clients/{id}/assessments`` (seed 003 App. D; App. E §3)."""

    instrument: Instrument = Field(examples=["ASI", "GAIN", "CASI"])
    scores: dict[Instrument, Decimal] = Field(default_factory=dict, max_length=50)
    screenings: list[ScreeningResult] = Field(default_factory=list, max_length=20)
    diagnosis: Literal["abuse", "dependence"] = Field(
        description="DSM-IV substance abuse or dependence (seed 003 App. D §III)."
    )
    level_of_care: Annotated[str, Field(min_length=1, max_length=60), NoControlCharacters] = Field(
        examples=["outpatient"]
    )
    treatment_status: TreatmentStatus
    assessed_on: RecordDate | None = Field(default=None, description="Defaults to today.")
    authorized_services: list[AuthorizedService] = Field(default_factory=list, max_length=40)
    max_value: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)
    attributes: list[Literal["national_guard_referral"]] = Field(
        default_factory=list,
        description="Facts about the client the program's rules read: "
        '`national_guard_referral` (seed 001 Recovery Home: "Only National Guard referrals '
        "are eligible for recovery home services\"). A vocational-training program's "
        "Employment Coaching plan is the provider's (an attestation of the service) and "
        "transportation is pre-authorised per trip on the claim line (`trip_authorization`), "
        "so neither is a client attribute (seed 001 Vocational Training, Transportation).",
    )
    gpra_intake: GpraInterview | None = Field(
        default=None, description="The GPRA intake interview (kind must be `intake`)."
    )
    religious_objection_notice_given_at: AwareDatetime = Field(
        description=(
            "When the client was given written notice of the right to genuine and "
            "independent choice among eligible providers, including the right to an "
            "alternative provider to whom the client has no religious objection (seed 003 "
            "App. E §3; §VIII Participant Protection, adequate consent procedures). Required: "
            "no assessment without it; on or before the assessment date (UTC day)."
        ),
        examples=["2026-08-28T14:05:00Z"],
    )


class ChangeTreatmentStatus(Contract):
    """``POST /v1/clients/{id}/treatment-status``: status from a date on (SPEC §3.1)."""

    treatment_status: TreatmentStatus
    effective_from: RecordDate


class RecordDrugTest(Contract):
    """``POST /v1/clients/{id}/drug-tests`` (seed 003 §II footnote 2; App. C note 1)."""

    tested_on: RecordDate
    random: bool
    result: Literal["negative", "positive"]
    provider_id: Id | None = None


class RecordConsent(Contract):
    """``POST /v1/clients/{id}/consents``: consent to disclose to one provider (42 CFR
    Part 2; seed 003 App. E §3 "summary … made available to the chosen provider")."""

    provider_id: Id
    signed_on: RecordDate
    expires_on: RecordDate | None = None
    purpose: Literal["assessment_summary"] = "assessment_summary"


class OfferChoiceList(Contract):
    """``POST /v1/clients/{id}/choice-lists``: offer the client the list of eligible
    providers for one service (seed 003 App. E §4(2) "Assessment staff provided the
    client with ... a list of the various eligible providers"); the selection on a
    voucher must be one of them (or the offer records a choice exception)."""

    service_code: Code = Field(examples=["RECOVERY_MENTORING_IND"])
    county: Name | None = Field(default=None, examples=["Boone"])


# --- answers ------------------------------------------------------------------------


class IntakeAnswer(Answer):
    """``201`` to ``POST /v1/clients``: the client id, and whether the person was known."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    known: bool = Field(description="A returning person: the existing client id.")
    review_flag: bool = Field(description="Intake needs a person to look at it.")
    review_reason: str | None = Field(default=None, examples=["NAME_DOB_MATCH_WITHOUT_SSN"])
    ssn_last4: str | None = Field(
        default=None, description="The last four digits only (never the SSN).", examples=["6789"]
    )


class EligibilityAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/eligibility``: the recorded determination."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    determination_id: str
    eligible: bool
    determined_on: date
    determined_by: str = Field(description="Token id of the assessor who decided.")
    assessor_organisation_id: str | None = None
    assessment_voucher_days: int = Field(
        default=30, description="Validity of the assessment voucher (seed 003 App. E §4)."
    )


class GpraRecordedAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/gpra``: the interview and its completeness."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    interview_id: str
    kind: GpraKind
    conducted_on: date
    complete: bool = Field(description="Every required item of the seven domains answered.")
    provider_id: str | None = None


class AssessmentAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/assessments``."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    assessment_id: str
    case_number: int = Field(ge=1, description="Counts the client's assessments.")
    assessed_on: date
    gpra_intake: GpraRecordedAnswer | None = Field(
        default=None, description="The GPRA intake interview, when one was given."
    )


class TreatmentStatusAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/treatment-status``."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    treatment_status: TreatmentStatus
    effective_from: date
    reported_by: str | None = Field(default=None, description="Provider id, when a provider.")


class ObjectionsAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/religious-objections``: what is now on record."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    provider_ids: list[str] = Field(default_factory=list)
    affiliations: list[str] = Field(default_factory=list, examples=[["Methodist"]])
    all_faith_based: bool = False


class ChoiceException(Answer):
    """A recorded choice exception: the network could not meet the rule (SPEC §3.2)."""

    exception_id: str
    shortfalls: list[Literal["FEWER_THAN_TWO_PROVIDERS", "NO_PROVIDER_WITHOUT_OBJECTION"]]


class ChoiceOption(Answer):
    """One provider on a choice list."""

    provider_id: str = Field(examples=["PRV-0001"])
    name: str = Field(examples=["Hope Recovery Center"])
    counties: list[str] = Field(examples=[["Boone"]])
    faith_based: bool
    religious_affiliation: str | None = None
    religious_objection: bool = Field(description="The client objects to this provider.")
    self_referral: bool = Field(description="The provider is the assessor's organisation.")


class ChoiceList(Answer):
    """``GET /v1/clients/{id}/choices``: the providers to choose from (SPEC §3.2)."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    service_code: str = Field(examples=["RECOVERY_MENTORING_IND"])
    satisfied: bool = Field(description="The choice rule holds (else a choice exception).")
    choice_exception: ChoiceException | None = None
    assessor_organisation_id: str | None = None
    providers: list[ChoiceOption]


class OfferedChoiceList(ChoiceList):
    """``201`` to ``POST /v1/clients/{id}/choice-lists``: the list offered, recorded."""

    offer_id: str
    offered_at: AwareDatetime


class ConsentAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/consents``: the recorded consent."""

    consent_id: str
    provider_id: str = Field(examples=["PRV-0001"])
    signed_on: date
    expires_on: date | None = None
    purpose: Literal["assessment_summary"] = "assessment_summary"


class ScreeningAnswer(Answer):
    """A screening instrument's result as recorded."""

    instrument: str = Field(examples=["AUDIT"])
    score: Decimal = Field(examples=["12"])
    positive: bool


class AuthorizedServiceAnswer(Answer):
    """One service the assessment authorises: units and/or an amount."""

    service_code: str = Field(examples=["RECOVERY_MENTORING_IND"])
    units: int | None = Field(default=None, examples=[40])
    amount: Decimal | None = Field(default=None, examples=["400.00"])


class AssessmentSummary(Answer):
    """``GET /v1/clients/{id}/assessment-summary``: the latest assessment for the calling
    provider, disclosed under the client's consent (42 CFR Part 2)."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    given_name: str
    family_name: str
    date_of_birth: date
    case_number: int = Field(ge=1)
    assessed_on: date
    religious_objection_notice_given_at: AwareDatetime | None = Field(
        default=None,
        description="When the notice of the right to choose was given (seed 003 App. E §3).",
    )
    instrument: str = Field(examples=["ASI"])
    scores: dict[str, Decimal] = Field(default_factory=dict)
    screenings: list[ScreeningAnswer] = Field(default_factory=list)
    diagnosis: str = Field(examples=["dependence"])
    level_of_care: str = Field(examples=["outpatient"])
    treatment_status: str
    authorized_services: list[AuthorizedServiceAnswer] = Field(default_factory=list)
    max_value: Decimal | None = None
    attributes: list[str] = Field(default_factory=list)
    consent_id: str = Field(description="The consent the disclosure rests on.")


class GpraDue(Answer):
    """One GPRA interview the client owes."""

    case_number: int = Field(ge=1)
    kind: str = Field(examples=["followup_6_month"])
    opens_on: date
    due_by: date
    status: str = Field(description="due, overdue or upcoming.", examples=["due"])


class GpraDueList(Answer):
    """``GET /v1/clients/{id}/gpra/due``: interviews due, overdue and upcoming."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    today: date
    interviews: list[GpraDue]
    overdue: int = Field(ge=0)


class DrugTestAnswer(Answer):
    """``201`` to ``POST /v1/clients/{id}/drug-tests``: the recorded test."""

    client_id: str = Field(examples=["CL-7F3A9C21D4E8"])
    test_id: str
    tested_on: date
    random: bool
    result: Literal["negative", "positive"]
    provider_id: str | None = None
