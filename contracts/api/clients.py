"""Client commands (SPEC §3.1, §4): intake, eligibility, assessment, GPRA, drug tests,
consent, religious objections and treatment status.

These bodies carry PHI (names, SSN, date of birth, clinical facts) into the eligibility
service only; none of it is ever put on Kafka. Every model forbids unknown fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from contracts.clients import AuthorizedService, GpraKind, TreatmentStatus
from contracts.envelope import Contract
from contracts.fields import BirthDate, Id, NoControlCharacters, RecordDate

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
    attributes: list[
        Literal["national_guard_referral", "employment_coaching_plan", "transport_preauthorized"]
    ] = Field(default_factory=list)
    gpra_intake: GpraInterview | None = Field(
        default=None, description="The GPRA intake interview (kind must be `intake`)."
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
