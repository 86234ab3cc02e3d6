"""The catalog rule engine: one claim line against the client's history (SPEC §3.4).

:func:`evaluate` is pure. It reads the program :class:`~programs.catalog.Catalog` and a
:class:`~services.claims.domain.model.ClientHistory` (earlier allowed lines, treatment
statuses, the staff member, program attributes) and answers allowed units, amount and
reason codes. Whole-line faults (documentation, group size, qualification, conflicts,
eligibility) deny the line; caps allow what still fits and deny the rest with the
cap's reason, as payers do (a partial approval).

Windows (SPEC §3.4): a day is the service date, a week Monday-Sunday, a month the
calendar month, an episode the service voucher's validity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from contracts.reasons import Reason
from programs.catalog import (
    LEVEL_ONE_STATUSES,
    LIMIT_REASONS,
    Catalog,
    Limit,
    QualificationOption,
    Service,
)
from services.claims.domain import date_range
from services.claims.domain.model import (
    ClaimLine,
    ClientHistory,
    Decision,
    PriorLine,
    PriorLines,
    StaffRecord,
)
from services.claims.domain.precedence import RANK, ordered

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to cents, half up (SPEC §2: money is Decimal with two places)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def evaluate(catalog: Catalog, claim: ClaimLine, history: ClientHistory) -> Decision:
    """Decide ``claim`` under ``catalog`` given ``history`` (pure; SPEC §3.4).

    A whole-line fault denies the line with the first of them in
    :data:`~services.claims.domain.precedence.PRECEDENCE`; otherwise the caps apply.
    A date-range line is decided day by day (:mod:`~services.claims.domain.date_range`),
    each day seeing the days allowed before it.
    """
    if claim.service_date_to is not None:
        return _evaluate_range(catalog, claim, history)
    faults = whole_line_faults(catalog, claim, history)
    if faults:
        return Decision.deny(claim, min(faults, key=RANK.__getitem__), unit_rate(catalog, claim))
    return capped(catalog, claim, history)


def _evaluate_range(catalog: Catalog, claim: ClaimLine, history: ClientHistory) -> Decision:
    """:func:`evaluate` of each day of a date-range line, the days allowed before a day
    added to the history it is decided on."""
    fault = date_range.range_fault(catalog, claim)
    if fault is not None:
        return Decision.deny(claim, fault, unit_rate(catalog, claim))
    lines = PriorLines(base=history.lines)
    days: list[Decision] = []
    for day in claim.day_lines():
        decision = evaluate(catalog, day, replace(history, prior_lines=lines))
        days.append(decision)
        if decision.allowed_units > 0:
            lines.append(day.allowed(decision.allowed_units, decision.allowed_amount))
    return date_range.combine(claim, days, unit_rate(catalog, claim))


def unit_rate(catalog: Catalog, claim: ClaimLine) -> Decimal | None:
    """The line's unit price under ``catalog`` (None: unknown service, unpriced, or a pass
    without its type or price)."""
    try:
        service = catalog.service(claim.service_code)
    except KeyError:
        return None
    return _unit_rate(service, claim)


def whole_line_faults(catalog: Catalog, claim: ClaimLine, history: ClientHistory) -> set[Reason]:
    """Every catalog rule that denies the whole line (seed 000, 001, 002, 004).

    An unknown service, or one the catalog does not price, is ``NOT_BILLABLE`` alone
    among the service's rules; the program's own rule (:func:`filing_faults`) applies
    to every line.
    """
    late = filing_faults(catalog, claim)
    try:
        service = catalog.service(claim.service_code)
    except KeyError:
        return {Reason.NOT_BILLABLE} | late
    if service.unit != "pass" and service.rate is None:
        return {Reason.NOT_BILLABLE} | late
    return _whole_line_faults(catalog, service, claim, history) | late


def filing_faults(catalog: Catalog, claim: ClaimLine) -> set[Reason]:
    """``TIMELY_FILING`` when the line was filed (``filed_on``, the program date the
    gateway accepted it) more than the program's ``timely_filing_days`` after its
    service date (``Catalog.timely_filing_source`` cites where the limit comes from:
    no seed sets one, so the platform's 365-day default applies). A line without a
    filing date (accepted before it was recorded) is not held to the limit."""
    if claim.filed_on is not None and catalog.filed_late(claim.service_date, claim.filed_on):
        return {Reason.TIMELY_FILING}
    return set()


def capped(catalog: Catalog, claim: ClaimLine, history: ClientHistory) -> Decision:
    """The units the catalog's caps leave of a line without whole-line faults: times,
    windows, level one, mileage, passes, dollars (seed 000; SPEC §3.4 windows); the
    reasons of the caps that cut it, in precedence order."""
    service = catalog.service(claim.service_code)
    rate = _unit_rate(service, claim)
    units = claim.units
    reasons: list[Reason] = []

    def cap(room: int, reason: Reason) -> None:
        nonlocal units
        room = max(room, 0)
        if units > room:
            units = room
            reasons.append(reason)

    quarters = _quarter_hours(claim)
    if service.unit == "15_minutes" and quarters is not None:
        cap(quarters, Reason.INVALID_UNITS)
    if service.unit == "hour" and claim.start_time and claim.end_time:
        cap(_minutes(claim) // 60, Reason.INVALID_UNITS)
    prior = history.lines
    for limit in service.limits:
        if limit.units is not None:
            cap(_units_room(limit, service, claim, history, prior), LIMIT_REASONS[limit.per])
    if service.level_one_cap is not None and _in_level_one(history, claim.service_date):
        used = sum(
            p.allowed_units
            for p in _episode(prior, history, claim)
            if p.service_code == service.code and _in_level_one(history, p.service_date)
        )
        cap(service.level_one_cap.units - used, Reason.LEVEL_ONE_LIMIT)
    if service.mileage is not None:
        cap(service.mileage.per_trip, Reason.MILEAGE_LIMIT)
        used_today = sum(
            p.allowed_units
            for p in prior.on(claim.service_date)
            if p.service_code == service.code and p.claim_id != claim.claim_id
        )
        cap(service.mileage.per_day - used_today, Reason.MILEAGE_LIMIT)
    if service.passes is not None and claim.pass_type is not None:
        used_passes = sum(
            p.allowed_units
            for p in _episode(prior, history, claim)
            if p.service_code == service.code and p.pass_type == claim.pass_type
        )
        cap(service.passes.per_episode.get(claim.pass_type, 0) - used_passes, Reason.PASS_LIMIT)
    if rate is not None:
        for limit in service.limits:
            if limit.amount is not None:
                spent = sum(
                    (p.allowed_amount for p in _window(limit, prior, claim, history, service)),
                    Decimal("0"),
                )
                room_amount = limit.amount - spent
                cap(int(room_amount // rate) if rate > 0 else units, Reason.DOLLAR_CAP)
    amount = money(rate * units) if rate is not None else Decimal("0.00")
    return Decision(
        billed_units=claim.units,
        allowed_units=units,
        unit_rate=rate,
        allowed_amount=amount,
        reasons=ordered(reasons) if reasons else (),
    )


def _unit_rate(service: Service, claim: ClaimLine) -> Decimal | None:
    """Price of one unit; a public-transport pass costs its price plus the fee (§16)."""
    if service.unit == "pass":
        if service.passes is None or claim.pass_price is None or claim.pass_type is None:
            return None
        return money(claim.pass_price + service.passes.fees.get(claim.pass_type, Decimal("0")))
    return service.rate


def _whole_line_faults(
    catalog: Catalog, service: Service, claim: ClaimLine, history: ClientHistory
) -> set[Reason]:
    """Every reason the whole line is denied for under ``service``'s rules."""
    faults: set[Reason] = set()
    status = history.status_on(claim.service_date)
    if (
        not history.attributes.issuperset(service.requires_attributes)
        or status in service.excluded_statuses
        or (service.eligible_statuses is not None and status not in service.eligible_statuses)
        or (service.follows_discharge is not None and not history.discharged_on(claim.service_date))
    ):
        faults.add(Reason.CLIENT_NOT_ELIGIBLE)
    if service.trip_authorization is not None and not _trip_authorised(claim, history):
        faults.add(Reason.SERVICE_NOT_AUTHORIZED)
    if service.qualification is not None and not qualified(
        service,
        _as_held(catalog, history.staff, claim.service_date),
        history.minor_on(claim.service_date),
        claim.service_date,
    ):
        faults.add(Reason.STAFF_NOT_QUALIFIED)
    if _documentation_missing(service, claim):
        faults.add(Reason.DOCUMENTATION_MISSING)
    if _bad_group(service, claim):
        faults.add(Reason.GROUP_SIZE)
    if service.activities is not None:
        if claim.activity is None:
            if service.activities.required:
                faults.add(Reason.DOCUMENTATION_MISSING)
        elif claim.activity not in service.activities.billable:
            faults.add(Reason.NOT_BILLABLE)  # the (B) list and anything unlisted (seed 004)
    faults |= _activity_faults(service, claim, history)
    if service.attendance is not None and (
        claim.start_time is None
        or claim.end_time is None
        or _minutes(claim) < service.attendance.min_minutes
    ):
        faults.add(Reason.NOT_BILLABLE)
    if _conflicts(catalog, service, claim, history.lines.on(claim.service_date)):
        faults.add(Reason.CONFLICTING_SERVICE)
    return faults


def _activity_faults(service: Service, claim: ClaimLine, history: ClientHistory) -> set[Reason]:
    """What the line's activity needs besides being billable (seed 004).

    A re-engagement contact names the missed appointment (``DOCUMENTATION_MISSING``
    without it) and belongs to efforts initiated within 48 hours of it (``NOT_BILLABLE``
    otherwise: :func:`re_engagement_in_time`); a (B)7 / (B)8 exception names what in the
    client record it addresses (:class:`~programs.catalog.ActivityPurpose`)."""
    faults: set[Reason] = set()
    rule = service.re_engagement
    if rule is not None and claim.activity == rule.activity:
        if claim.missed_appointment_on is None:
            faults.add(Reason.DOCUMENTATION_MISSING)
        elif not re_engagement_in_time(service, claim, history):
            faults.add(Reason.NOT_BILLABLE)
    for purpose in service.activity_purposes:
        if claim.activity in purpose.activities and not claim.documented_purpose:
            faults.add(Reason.DOCUMENTATION_MISSING)
    return faults


def re_engagement_in_time(service: Service, claim: ClaimLine, history: ClientHistory) -> bool:
    """Whether a re-engagement contact belongs to efforts initiated in time (seed 004
    (A)3 "Such efforts should be initiated within forty-eight (48) hours"): dated on
    the missed appointment's date or within the rule's days after it, or following an
    allowed contact of the same missed appointment that was (the efforts continue). A
    contact dated before the missed appointment follows no absence."""
    rule = service.re_engagement
    missed = claim.missed_appointment_on
    if rule is None or missed is None:
        return rule is None
    deadline = missed + timedelta(days=rule.within_days)
    if claim.service_date < missed:
        return False
    if claim.service_date <= deadline:
        return True
    return any(
        p.service_code == service.code
        and p.activity == rule.activity
        and p.missed_appointment_on == missed
        and missed <= p.service_date <= deadline
        and p.claim_id != claim.claim_id
        for p in history.lines.between(missed, deadline)
    )


def _trip_authorised(claim: ClaimLine, history: ClientHistory) -> bool:
    """The line carries its trip's own pre-authorisation (seed 001 Transportation:
    "Transportation costs must be preauthorized on an individual basis"): a reference
    that no other allowed line of the client already used
    (:class:`~programs.catalog.TripAuthorization`)."""
    reference = claim.trip_authorization
    if reference is None:
        return False
    return not any(
        p.trip_authorization == reference and p.claim_id != claim.claim_id for p in history.lines
    )


def qualified(service: Service, staff: StaffRecord | None, minor: bool, service_date: date) -> bool:
    """The staff member meets one qualification alternative on ``service_date`` (seed
    000; seed 002 Qualifications §3) — ``staff`` holding the credentials current that day
    (:func:`_as_held`).

    When the rule asks for a background check before serving minors, a client who is a
    minor on the service date (``minor``) may only be served by a staff member who
    passed a check dated on or before it (seed 002 Qualifications §2 "Any individual
    delivering case management services to children/minors must successfully pass a DHW
    background check *prior to* the delivery of services"): a check without an outcome,
    failed or pending does not count.
    """
    rule = service.qualification
    if rule is None:
        return True
    if staff is None:
        return False
    if (
        rule.background_check_for_minors
        and minor
        and not staff.passed_background_check(service_date)
    ):
        return False
    return any(
        _meets(option, staff, service, rule.target_population, service_date)
        for option in rule.any_of
    )


def _as_held(catalog: Catalog, staff: StaffRecord | None, day: date) -> StaffRecord | None:
    """The staff member with the credentials they hold on ``day``: those current that
    day (a credential past its recorded expiry is not held; seed 002 Qualifications §3a
    "must have current certification"), and the credentials their equivalents stand in
    for (the catalog's ``credential_equivalents``; seed 000 §7-§10 "a duly ordained
    minister or their equivalent such as a rabbi or imam")."""
    if staff is None:
        return staff
    held = catalog.held_credentials(staff.current_credentials(day))
    return staff if held == staff.credentials else replace(staff, credentials=held)


def _meets(
    option: QualificationOption,
    staff: StaffRecord,
    service: Service,
    population: str | None,
    day: date,
) -> bool:
    """One alternative: its credentials (current on ``day`` when it says so: seed 002
    §3a "must have current certification"), then its months of experience — with the
    target population or in the service when it says so (seed 002 §3b "twelve (12)
    months experience with the target population", §3e "two years of providing the
    recovery support service the individual wishes to deliver") — or supervision in
    their place (§3b "may gain this experience by working for twelve months under the
    supervision of a fully-qualified case manager")."""
    if option.supervised and not option.credentials:
        return staff.supervised
    if not set(option.credentials) <= staff.credentials:
        return False
    if option.current and any(
        staff.credential_expiry.get(credential, date.min) < day for credential in option.credentials
    ):
        return False
    if option.experience_in is None:
        months = staff.months_experience
    else:
        area = population if option.experience_in == "target_population" else service.code
        months = staff.experience.get(area or "", 0)
    if months >= option.min_months:
        return True
    return option.supervised_instead_of_months and staff.supervised


def _documentation_missing(service: Service, claim: ClaimLine) -> bool:
    """The documentation the service requires is not on the line (seed 000 §2, §3, §4,
    §9, §11, §16, §18). ``face_to_face`` is required as ``true``: seed 000 §2 "Consumer
    must be present; this is a face to face service", §11 "Face-to-face interaction",
    §18 "Client must be present" — a line that does not say the client was present
    (missing or false) is not documented as face to face."""
    needs = set(service.documentation)
    if "client_signature" in needs and claim.client_signature is not True:
        return True
    if "start_end_times" in needs and (claim.start_time is None or claim.end_time is None):
        return True
    if "face_to_face" in needs and claim.face_to_face is not True:
        return True
    if service.unit == "pass" and (
        claim.pass_type is None or claim.pass_serial is None or claim.pass_price is None
    ):
        return True
    return service.unit == "mile" and claim.units <= 0


def _bad_group(service: Service, claim: ClaimLine) -> bool:
    """The session's size breaks the service's group rules (``GROUP_SIZE``).

    ``group_size`` counts participants, ``group_clients`` the clients among them
    (:func:`session_clients`). Maxima count participants: seed 000 §8, §12, §14, §18
    "cannot be delivered to a group that exceeds thirty (30) participants", §10 "cannot
    exceed 12 participants". Minima count clients: §8 "two or more consumers", §12 "at
    least two clients", §18 "two or more clients". An individual service serves one
    client: §9 "only delivered in a one-on-one session" (one participant), except where
    the client's support system takes part, §7 "Family Engagement-Individual is provided
    to one client and any of the client's support system that are included in the
    session" (one client, any number of participants).
    """
    participants = claim.group_size
    if (
        claim.group_clients is not None
        and participants is not None
        and claim.group_clients > participants
    ):
        return True  # the contract refuses it; an old event's line cannot carry it
    clients = session_clients(service, claim)
    if service.mode == "individual":
        if service.group_participants == "clients_and_support_system":
            if clients is None:  # several participants, not said how many are clients
                return (participants or 1) > 1
            return clients != 1
        return (participants or 1) > 1 or (clients or 1) > 1
    if service.group_min is None and service.group_max is None:
        return False
    if participants is None or clients is None:
        return True
    if service.group_min is not None and clients < service.group_min:
        return True
    return service.group_max is not None and participants > service.group_max


def session_clients(service: Service, claim: ClaimLine) -> int | None:
    """How many clients the line's session served: ``group_clients`` when the line
    states it; otherwise every participant (``group_size``) is a client, except in a
    service whose sessions admit a client's support system (seed 000 §7, §8
    ``group_participants: clients_and_support_system``), where more than one
    participant says nothing of how many are clients (None: unknown)."""
    if claim.group_clients is not None:
        return claim.group_clients
    participants = claim.group_size
    if service.group_participants == "clients_and_support_system" and (participants or 1) > 1:
        return None
    return participants


def _conflicts(
    catalog: Catalog, service: Service, claim: ClaimLine, prior: Iterable[PriorLine]
) -> bool:
    """A same-day or overlapping conflict in either direction (seed 000 §2, §4)."""
    for line in prior:
        if line.service_date != claim.service_date or line.claim_id == claim.claim_id:
            continue
        try:
            other: Service | None = catalog.service(line.service_code)
        except KeyError:
            other = None
        if _rule_conflicts(service, other, line.service_code, claim, line):
            return True
        if other is not None and _rule_conflicts(other, service, claim.service_code, claim, line):
            return True
    return False


def _rule_conflicts(
    owner: Service, other: Service | None, other_code: str, claim: ClaimLine, line: PriorLine
) -> bool:
    """``owner``'s conflicts forbid the pair (``other`` is the other line's service)."""
    if claim.service_code == line.service_code:
        return False  # repeats of one service are limits' business, not conflicts
    for conflict in owner.conflicts:
        if "*" not in conflict.with_codes and other_code not in conflict.with_codes:
            continue
        if conflict.scope == "same_day":
            return True
        if _same_time(owner, other, claim, line):
            return True
    return False


def _same_time(owner: Service, other: Service | None, claim: ClaimLine, line: PriorLine) -> bool:
    """Whether two lines of one day were "at the same time" (seed 000 §4).

    Both timed: their times overlap. A line without times covers its whole day, unless
    its service's ``timing`` says it is delivered between services (seed 000 §15, §16
    "Transportation is to and from treatment or recovery support services": a trip or
    a bus pass is never at the same time as the service it takes the client to).
    """
    claim_service = owner if owner.code == claim.service_code else other
    line_service = other if claim_service is owner else owner
    for service, start, end in (
        (claim_service, claim.start_time, claim.end_time),
        (line_service, line.start_time, line.end_time),
    ):
        if (start is None or end is None) and _untimed_between_services(service):
            return False
    return _overlap(claim.start_time, claim.end_time, line.start_time, line.end_time)


def _untimed_between_services(service: Service | None) -> bool:
    return (
        service is not None
        and service.timing is not None
        and service.timing.untimed == "between_services"
    )


def _overlap(s1: time | None, e1: time | None, s2: time | None, e2: time | None) -> bool:
    """Times overlap; a line without times covers its whole day."""
    if s1 is None or e1 is None or s2 is None or e2 is None:
        return True
    return _clock(s1) < _clock(e2) and _clock(s2) < _clock(e1)


def _clock(value: time) -> timedelta:
    """The time since midnight on the clock face, offset ignored.

    Service times are the provider's local wall-clock times (SPEC §3.4); the contract
    refuses an offset, but a line submitted before it did may carry one. Reading every
    time off the clock face keeps the arithmetic total: an offset-aware time never
    meets a naive one in a subtraction or a comparison, which would raise.
    """
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _minutes(claim: ClaimLine) -> int:
    """Whole minutes from start to end; 0 without both times or when end is not after
    start (a line cannot span midnight: the contract refuses it)."""
    if claim.start_time is None or claim.end_time is None:
        return 0
    elapsed = _clock(claim.end_time) - _clock(claim.start_time)
    return max(int(elapsed.total_seconds() // 60), 0)


def _quarter_hours(claim: ClaimLine) -> int | None:
    """Whole quarter hours between start and end (SPEC §3.4), or None without times."""
    if claim.start_time is None or claim.end_time is None:
        return None
    return _minutes(claim) // 15


def _in_level_one(history: ClientHistory, day: date) -> bool:
    return history.status_on(day) in LEVEL_ONE_STATUSES


def _episode(prior: PriorLines, history: ClientHistory, claim: ClaimLine) -> list[PriorLine]:
    """The other lines within the service voucher's validity (the episode)."""
    return [
        p
        for p in prior.between(history.episode_start, history.episode_end)
        if p.claim_id != claim.claim_id
    ]


def _bounds(per: str, day: date, history: ClientHistory) -> tuple[date | None, date | None]:
    """First and last day of the ``per`` window around ``day`` (SPEC §3.4 windows)."""
    if per == "day":
        return day, day
    if per == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if per == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    return history.episode_start, history.episode_end


def _window(
    limit: Limit,
    prior: PriorLines,
    claim: ClaimLine,
    history: ClientHistory,
    service: Service,
) -> list[PriorLine]:
    """The other lines of the limit's services within its window around the claim."""
    first, last = _bounds(limit.per, claim.service_date, history)
    codes = set(limit.codes or [service.code])
    return [
        p
        for p in prior.between(first, last)
        if p.service_code in codes and p.claim_id != claim.claim_id
    ]


def _units_room(
    limit: Limit,
    service: Service,
    claim: ClaimLine,
    history: ClientHistory,
    prior: PriorLines,
) -> int:
    """Units still allowed under ``limit`` for this line (unbounded when it does not apply)."""
    assert limit.units is not None
    if limit.activity is not None and claim.activity != limit.activity:
        return claim.units
    if limit.face_to_face is not None and bool(claim.face_to_face) != limit.face_to_face:
        return claim.units
    if limit.reviewable and (claim.service_date, service.code) in history.reviewed:
        return claim.units
    if limit.per_line:
        return limit.units
    lines = _window(limit, prior, claim, history, service)
    if limit.activity is not None:
        lines = [p for p in lines if p.activity == limit.activity]
    if limit.face_to_face is not None:
        lines = [p for p in lines if bool(p.face_to_face) == limit.face_to_face]
    return limit.units - sum(p.allowed_units for p in lines)
