"""The program catalog format: services, prices, limits and conditions as validated data.

SPEC §3.4: "Catalogs are data (one file per program, validated by a pydantic model, each
rule citing its seed section), selected by configuration." One YAML file per program
lives beside this module (``programs/<program>.yaml``); :mod:`programs.loader` reads it.
Every rule object carries ``source`` — the seed file and section it encodes — and the
loader refuses a catalog with a rule that does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.api.clients import RetentionService
from contracts.billing_codes import MAX_MODIFIERS, Modifier, ProcedureCode
from contracts.reasons import Reason

Window = Literal["day", "week", "month", "episode"]
"""Calendar windows (SPEC §3.4): service date; Monday-Sunday; calendar month; voucher life."""

LIMIT_REASONS: dict[str, Reason] = {
    "day": Reason.DAILY_LIMIT,
    "week": Reason.WEEKLY_LIMIT,
    "month": Reason.MONTHLY_LIMIT,
    "episode": Reason.EPISODE_LIMIT,
}
"""The reason a window's limit denies with (SPEC §3.4)."""

LEVEL_ONE_STATUSES = frozenset({"level_1", "level_1_residential"})
"""Clinical treatment statuses that count as "level one clinical treatment" (seed 000)."""


DEFAULT_TIMELY_FILING_DAYS = 365
"""Filing limit when a program sets none: no seed gives one (seed 003 App. E §5 has
monthly invoicing but no deadline for submitting a service), so a year from the date of
service, the limit most public payers use, is the platform's default."""

DEFAULT_TIMELY_FILING_SOURCE = (
    "default: no seed sets a filing limit (seed 003 App. E §5 gives monthly invoicing, "
    "no deadline); 365 days from the date of service"
)


class Rule(BaseModel):
    """Base of every catalog rule: strict fields and a mandatory citation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=8, description="Seed file and section, e.g. `000 §1`.")


class Limit(Rule):
    """At most ``units`` (or ``amount`` dollars) of the service per ``per`` window.

    ``codes`` widens the count to a family of services (a cap several services share;
    seed 000 §17's 16 units are Work Preparation-Individual's own, §18 sets none for the
    group); ``activity`` narrows it to lines with that activity;
    ``face_to_face: false`` narrows it to lines that were not face to face.
    """

    per: Window
    units: int | None = Field(default=None, ge=0)
    amount: Decimal | None = Field(default=None, ge=0)
    codes: list[str] | None = None
    activity: str | None = None
    face_to_face: bool | None = None
    per_line: bool = Field(
        default=False, description="Cap each line (e.g. one unit per team meeting)."
    )
    reviewable: bool = Field(
        default=False,
        description="The limit yields where an administrator or the state reviewed and "
        "approved documented unusual circumstances for the client's service on that date "
        '(seed 004 (A)2 "Unless there are unusual circumstances that are documented in '
        'the client record"): the reviewed line is not cut by it.',
    )

    @model_validator(mode="after")
    def _units_or_amount(self) -> Limit:
        if (self.units is None) == (self.amount is None):
            raise ValueError("a limit has either units or amount")
        return self


class LevelOneCap(Rule):
    """Units allowed in total while the client is in level-one clinical treatment."""

    units: int = Field(ge=0)


class Conflict(Rule):
    """Services that may not be billed with this one.

    ``scope: same_day`` — not on the same service date; ``overlapping`` — not at
    overlapping times (a line without times on the same day counts as overlapping,
    unless its service's :class:`Timing` says it is delivered between services).
    ``with_codes: ["*"]`` means every other service.
    """

    with_codes: list[str]
    scope: Literal["same_day", "overlapping"]


class Timing(Rule):
    """When a line of the service without start and end times took place, for the
    ``overlapping`` conflicts of other services (seed 000 §4 "may not be billed at the
    same time as any other service").

    ``untimed: whole_day`` — an untimed line may have been at any time that day, so it
    overlaps every timed line of the day (the default for a service without this rule);
    ``between_services`` — the service is by definition delivered outside the services
    it serves (seed 000 §15, §16 "Transportation is to and from treatment or recovery
    support services"), so an untimed line of it overlaps nothing. A line that does
    carry times is compared by its times either way.
    """

    untimed: Literal["whole_day", "between_services"]


class Qualification(Rule):
    """Staff qualification alternatives: a staff member must satisfy one of them.

    ``background_check_for_minors``: a client who is a minor on the service date may be
    served only by a staff member who passed a background check dated on or before it
    (seed 002 Qualifications §2 "must successfully pass a DHW background check *prior
    to* the delivery of services"). ``target_population`` names the population an
    option's ``experience_in: target_population`` counts experience with (seed 002 §3b
    "at least twelve (12) months experience with the target population").
    """

    any_of: list[QualificationOption] = Field(min_length=1)
    background_check_for_minors: bool = False
    target_population: str | None = None

    @model_validator(mode="after")
    def _population_named(self) -> Qualification:
        if self.target_population is None and any(
            option.experience_in == "target_population" for option in self.any_of
        ):
            raise ValueError("experience with the target population needs target_population")
        return self


class QualificationOption(BaseModel):
    """One way to qualify: all credentials, and experience or supervision if required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    credentials: list[str] = Field(default_factory=list)
    min_months: int = 0
    supervised_instead_of_months: bool = False
    supervised: bool = Field(default=False, description="Qualifies by being supervised.")
    current: bool = Field(
        default=False,
        description="The credentials must be current on the service date: an expiry on "
        'record on or after it (seed 002 §3a "must have current certification"); without '
        "it a credential counts unless its recorded expiry has passed.",
    )
    experience_in: Literal["target_population", "service"] | None = Field(
        default=None,
        description="What ``min_months`` must have been with: the qualification's "
        "``target_population`` (seed 002 §3b, §3c) or the service being delivered (§3e "
        '"providing the recovery support service the individual wishes to deliver"); '
        "None: any experience.",
    )


class CredentialEquivalence(Rule):
    """Credentials that stand in for ``credential`` wherever a qualification names it
    (seed 000 §7-§10: "a duly ordained minister or their equivalent such as a rabbi or
    imam"): a staff member holding one of ``equivalents`` holds ``credential`` for the
    qualification check, and the registry accepts them as credentials of the program."""

    credential: str
    equivalents: list[str] = Field(min_length=1)


class Mileage(Rule):
    """Miles per one-way trip and per day (units are miles)."""

    per_trip: int
    per_day: int


class PassRule(Rule):
    """Public-transport passes: administrative fee and per-episode count by pass type."""

    fees: dict[str, Decimal]
    per_episode: dict[str, int]


class Activities(Rule):
    """Activity codes a line must carry; some are never billable."""

    billable: list[str]
    non_billable: list[str] = Field(default_factory=list)
    required: bool = Field(default=False, description="Every line must name its activity.")


class Attendance(Rule):
    """A unit needs at least ``min_minutes`` attended between start and end time."""

    min_minutes: int


class FollowsDischarge(Rule):
    """The service is for clients discharged from clinical treatment (seed 001 Continuing
    Care: "Continuing care services are provided following discharge, when the client no
    longer requires services at the intensity required during primary treatment").

    A line is allowed when, on its service date, the client's clinical treatment status
    is ``none`` and an earlier status period was a treatment level: the client was in
    treatment and has left it (:meth:`ClientHistory.discharged_on
    <services.claims.domain.model.ClientHistory.discharged_on>`). A client never
    recorded in treatment has not been discharged; one still in treatment, at any level,
    has not either. ``requirement`` states it in words for ``atr program explain``.
    """

    requirement: str = Field(min_length=8)


class TripAuthorization(Rule):
    """Each trip of the service is pre-authorised on its own (seed 001 Transportation:
    "Transportation costs must be preauthorized on an individual basis"): a line carries
    the reference of its trip's pre-authorisation (``trip_authorization``), and a
    reference an allowed line of the client already used authorises no other line (one
    trip, one pre-authorisation). Without it, or with a used one, the line is denied
    ``SERVICE_NOT_AUTHORIZED``. ``requirement`` states it in words for ``atr program
    explain``."""

    requirement: str = Field(min_length=8)


class Attestation(Rule):
    """A seed rule no claim field shows, so the engine cannot check it: the provider
    attests to it by billing the line, and it is kept here, cited, for the program's
    terms (``atr program explain``, ``GET /v1/program``) and for audits of the provider's
    records (e.g. seed 000 §3 "Licensed (or license waived) child care")."""

    requirement: str = Field(min_length=8)


class ReEngagement(Rule):
    """A re-engagement contact follows a missed appointment and belongs to efforts
    initiated within ``within_hours`` of it (seed 004 (A)3 "If a client fails to appear
    at a scheduled program activity, staff shall initiate efforts to contact and
    re-engage the person in treatment. Such efforts should be initiated within
    forty-eight (48) hours").

    A line with ``activity`` names the missed appointment's date
    (``missed_appointment_on``; without it ``DOCUMENTATION_MISSING``). Lines carry dates,
    not times, so the hours are read as days after the missed appointment's date
    (48 hours: that date and the two following). The line is billable when its service
    date is within them, or when an allowed contact of the same missed appointment was
    (the efforts were initiated in time, and continue); otherwise, or dated before the
    missed appointment, ``NOT_BILLABLE``."""

    activity: str
    within_hours: int = Field(ge=1)

    @property
    def within_days(self) -> int:
        """The days after the missed appointment's date the efforts may start on."""
        return -(-self.within_hours // 24)


class ActivityPurpose(Rule):
    """Activities billable only when the line names what in the client record they
    address (``documented_purpose``): seed 004 (B)7 transport "unless the presence of the
    community support worker is required to resolve an immediate crisis or to address a
    clearly documented need", (B)8 home visits "unless such visit(s) is clearly and
    directly related to the rehabilitation plan goals". A line of one of ``activities``
    without it is ``DOCUMENTATION_MISSING``. ``requirement`` states it in words."""

    activities: list[str] = Field(min_length=1)
    requirement: str = Field(min_length=8)


GroupParticipants = Literal["clients", "clients_and_support_system"]
"""Who takes part in a session of the service, besides staff (claim ``group_size``):
``clients`` only, or clients and members of a client's support system (seed 000 §7
"one client and any of the client's support system that are included in the session",
§8 "two or more consumers and any members of the family support system")."""


LOCAL_CODE = "local"
"""``Hcpcs.source`` of a code no seed gives: the program's own mapping."""


class Hcpcs(BaseModel):
    """The HCPCS procedure code and modifiers a service's lines are billed under.

    No seed gives HCPCS codes for these programs, so a code is either cited (``source``
    names the seed file and section) or marked ``source: "local"``: the program's own
    mapping to the nearest HCPCS Level II description, which a state may replace.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ProcedureCode
    modifiers: list[Modifier] = Field(default_factory=list, max_length=MAX_MODIFIERS)
    source: str = Field(
        description='Seed file and section, or "local" when no seed gives the code.'
    )
    description: str | None = Field(
        default=None, description="The HCPCS descriptor the local mapping chose it for."
    )

    @model_validator(mode="after")
    def _cited_or_local(self) -> Hcpcs:
        if self.source != LOCAL_CODE and len(self.source) < 8:
            raise ValueError(f'{self.code}: cite the seed section or say source: "local"')
        return self


class GpraCategory(Rule):
    """The GPRA item 7.1 service category the service's sessions/days count under
    (seed 003 App. C item 7.1, "Identify the number of service sessions/days provided to
    each client during the past 30 days"): reporting's retention counts claimed sessions
    by it. ``source`` cites both the 7.1 item and the service description it matches."""

    category: RetentionService


class Service(BaseModel):
    """One billable service of a program."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str
    mode: Literal["individual", "group", "either"]
    unit: Literal["15_minutes", "hour", "day", "mile", "pass", "session"]
    rate: Decimal | None = Field(default=None, ge=0)
    rate_from_config: bool = False
    source: str = Field(min_length=8)
    limits: list[Limit] = Field(default_factory=list)
    level_one_cap: LevelOneCap | None = None
    group_min: int | None = None
    group_max: int | None = None
    group_participants: GroupParticipants = Field(
        default="clients",
        description="Who a session's participants (``group_size``) may be. ``group_min`` "
        "counts clients (``group_clients``), ``group_max`` counts participants (seed 000 "
        '§8 "two or more consumers" … "exceeds thirty (30) participants").',
    )
    group_source: str | None = None
    conflicts: list[Conflict] = Field(default_factory=list)
    eligible_statuses: list[str] | None = None
    excluded_statuses: list[str] = Field(default_factory=list)
    status_source: str | None = None
    requires_attributes: list[str] = Field(default_factory=list)
    attributes_source: str | None = None
    voucher_requires_attributes: list[str] = Field(
        default_factory=list,
        description="Client attributes (as assessed) without which no voucher may carry the "
        "service: refused when the voucher is issued, not only denied at claim time.",
    )
    voucher_attributes_source: str | None = None
    qualification: Qualification | None = None
    documentation: list[Literal["client_signature", "start_end_times", "face_to_face"]] = Field(
        default_factory=list
    )
    documentation_source: str | None = None
    voucher_roles: list[str] | None = Field(
        default=None, description="Roles that may create vouchers for it (None: assessors)."
    )
    voucher_roles_source: str | None = None
    mileage: Mileage | None = None
    passes: PassRule | None = None
    activities: Activities | None = None
    attendance: Attendance | None = None
    timing: Timing | None = None
    attestations: list[Attestation] = Field(default_factory=list)
    follows_discharge: FollowsDischarge | None = None
    re_engagement: ReEngagement | None = None
    activity_purposes: list[ActivityPurpose] = Field(default_factory=list)
    trip_authorization: TripAuthorization | None = None
    gpra_category: GpraCategory
    hcpcs: Hcpcs | None = Field(
        default=None,
        description="The HCPCS code lines of the service are billed under (a line's "
        "``procedure_code``, when given, must be this code).",
    )

    @model_validator(mode="after")
    def _cited(self) -> Service:
        pairs = [
            (
                self.group_min is not None
                or self.group_max is not None
                or self.group_participants != "clients",
                self.group_source,
            ),
            (bool(self.eligible_statuses or self.excluded_statuses), self.status_source),
            (bool(self.requires_attributes), self.attributes_source),
            (bool(self.voucher_requires_attributes), self.voucher_attributes_source),
            (bool(self.documentation), self.documentation_source),
            (self.voucher_roles is not None, self.voucher_roles_source),
        ]
        if any(used and not source for used, source in pairs):
            raise ValueError(f"{self.code}: every rule needs its seed citation (`*_source`)")
        if self.rate is not None and self.rate_from_config:
            raise ValueError(f"{self.code}: a fixed rate or a configured one, not both")
        named = [p for rule in self.activity_purposes for p in rule.activities]
        if self.re_engagement is not None:
            named.append(self.re_engagement.activity)
        billable = set(self.activities.billable) if self.activities is not None else set()
        if not set(named) <= billable:
            raise ValueError(f"{self.code}: a rule names activities not billable: {named}")
        return self


class Catalog(BaseModel):
    """A program: its services and where its rules come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str
    name: str
    source: str
    earliest_service_date: date = Field(
        description="No service before this date can be claimed under the program: the "
        "gateway refuses a line dated earlier (and one more than 366 days ahead)."
    )
    earliest_service_date_source: str = Field(
        min_length=8, description="Where that date comes from (a seed, or why it was chosen)."
    )
    timely_filing_days: int = Field(
        default=DEFAULT_TIMELY_FILING_DAYS,
        ge=1,
        le=3650,
        description="A line submitted more than this many days after its service date is "
        "denied ``TIMELY_FILING``.",
    )
    timely_filing_source: str = Field(
        default=DEFAULT_TIMELY_FILING_SOURCE,
        min_length=8,
        description="Where the filing limit comes from (a seed, or that it is a default).",
    )
    services: dict[str, Service]
    credential_equivalents: list[CredentialEquivalence] = Field(
        default_factory=list,
        description="Credentials the program accepts in place of one a qualification "
        "names (seed 000: a rabbi or imam for an ordained minister), each cited.",
    )

    @model_validator(mode="after")
    def _codes_match(self) -> Catalog:
        for code, service in self.services.items():
            if code != service.code:
                raise ValueError(f"service key {code} differs from its code {service.code}")
        return self

    def service(self, code: str) -> Service:
        """The service with this code (``KeyError`` when the program has none)."""
        return self.services[code]

    def hcpcs_of(self, code: str) -> Hcpcs | None:
        """The HCPCS code the service is billed under (None: unknown or unmapped service)."""
        service = self.services.get(code)
        return service.hcpcs if service is not None else None

    def filed_late(self, service_date: date, filed_on: date) -> bool:
        """Whether a line filed on ``filed_on`` is past the program's timely filing limit:
        more than ``timely_filing_days`` days after its ``service_date``
        (``timely_filing_source`` says where the limit comes from)."""
        return (filed_on - service_date).days > self.timely_filing_days

    def rate_of(self, code: str) -> Decimal | None:
        """Unit rate, or None when the state has not priced it (SPEC §3.4 Illinois)."""
        return self.services[code].rate

    def is_priced(self, code: str) -> bool:
        """A voucher may carry the service: it has a rate, or is priced per pass (seed 000 §16)."""
        service = self.services[code]
        return service.rate is not None or service.unit == "pass"

    def missing_for_voucher(self, code: str, attributes: Iterable[str]) -> list[str]:
        """The client attributes a voucher for the service needs and the client lacks
        (``voucher_requires_attributes``; seed 001 Recovery Home: "Only National Guard
        referrals are eligible for recovery home services")."""
        return sorted(set(self.services[code].voucher_requires_attributes) - set(attributes))

    def voucher_refusal(self, code: str, attributes: Iterable[str]) -> str | None:
        """Why a service voucher cannot carry ``code`` for a client assessed with
        ``attributes`` (None: it can), so that an assessment authorising it is refused
        rather than the service silently dropped from the voucher it creates (seed 003
        App. E §4 "Once an assessment occurred, the assessor created a treatment/recovery
        services voucher"): a code the program does not have or does not price (SPEC
        §3.4), or an attribute the service needs at issuance that the assessment does not
        record (seed 001 Recovery Home: "Only National Guard referrals are eligible")."""
        if code not in self.services or not self.is_priced(code):
            return "not a priced service of the program"
        missing = self.missing_for_voucher(code, attributes)
        return f"the assessment does not record {', '.join(missing)}" if missing else None

    def credentials(self) -> dict[str, list[str]]:
        """Every staff credential the program's qualification rules name (seed 002
        qualifications and the other programs' staff rules), and every equivalent the
        catalog accepts in place of one (seed 000 §7-§10 "or their equivalent such as a
        rabbi or imam"), with the services that accept it, by credential, sorted."""
        found: dict[str, set[str]] = {}
        for service in self.services.values():
            if service.qualification is None:
                continue
            for option in service.qualification.any_of:
                for credential in option.credentials:
                    found.setdefault(credential, set()).add(service.code)
        for rule in self.credential_equivalents:
            for equivalent in rule.equivalents:
                found.setdefault(equivalent, set()).update(found.get(rule.credential, set()))
        return {credential: sorted(codes) for credential, codes in sorted(found.items())}

    def experience_areas(self) -> frozenset[str]:
        """What a staff member's experience may be recorded with: every service code
        (seed 002 §3e "providing the recovery support service the individual wishes to
        deliver") and every target population a qualification names (§3b "experience
        with the target population")."""
        populations = {
            s.qualification.target_population
            for s in self.services.values()
            if s.qualification is not None and s.qualification.target_population is not None
        }
        return frozenset(self.services) | populations

    def held_credentials(self, credentials: Iterable[str]) -> frozenset[str]:
        """The credentials a staff member holds for qualification checks: their own, and
        each credential one of them is an equivalent of (``credential_equivalents``;
        seed 000 §9 "a duly ordained minister or their equivalent such as a rabbi or
        imam")."""
        held = set(credentials)
        for rule in self.credential_equivalents:
            if held & set(rule.equivalents):
                held.add(rule.credential)
        return frozenset(held)

    def equivalences_for(self, code: str) -> list[CredentialEquivalence]:
        """The equivalence rules that apply to the service's qualification (the
        credentials it names that have equivalents)."""
        qualification = self.services[code].qualification
        if qualification is None:
            return []
        named = {c for option in qualification.any_of for c in option.credentials}
        return [rule for rule in self.credential_equivalents if rule.credential in named]

    def activities(self) -> dict[str, tuple[bool, list[str]]]:
        """Every activity code the program's services name: whether it is billable and
        the services that name it, by activity, sorted."""
        found: dict[str, tuple[bool, set[str]]] = {}
        for service in self.services.values():
            if service.activities is None:
                continue
            for billable, codes in (
                (True, service.activities.billable),
                (False, service.activities.non_billable),
            ):
                for activity in codes:
                    was, services = found.get(activity, (billable, set()))
                    found[activity] = (was or billable, services | {service.code})
        return {
            activity: (billable, sorted(codes))
            for activity, (billable, codes) in sorted(found.items())
        }

    def may_create_voucher(self, code: str, role: str) -> bool:
        """Whether ``role`` may create vouchers for the service (seed 000 §2: DOC THU)."""
        roles = self.services[code].voucher_roles
        return role in ("assessor", "system") if roles is None else role in roles


Qualification.model_rebuild()
