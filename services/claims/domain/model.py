"""What the rule engine reads and returns (pure data; no I/O).

The claim worker builds these from its local state (voucher, provider and client
replicas plus the client's earlier adjudicated lines) and hands them to
:func:`services.claims.domain.engine.evaluate` together with the active program's
catalog. The engine never touches a database or the broker, so every rule can be tested
exhaustively (SPEC §3.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from contracts.reasons import Reason


@dataclass(frozen=True)
class ClaimLine:
    """One billed service line (SPEC §3.4 fields), with the platform's claim id, the
    provider's ``claim_ref`` and when the gateway accepted it (``submitted_at``: the
    moment the read-your-writes rule of SPEC §3.4 measures views against; ``filed_on``:
    the program date the timely filing limit is measured against). The billing
    identifiers (NPIs, HCPCS procedure code and modifiers, ICD-10-CM diagnoses, place of
    service) are kept with the line as submitted."""

    claim_id: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    units: int
    staff_id: str
    start_time: time | None = None
    end_time: time | None = None
    group_size: int | None = None
    client_signature: bool | None = None
    face_to_face: bool | None = None
    miles: Decimal | None = None
    pass_type: str | None = None
    pass_serial: str | None = None
    pass_price: Decimal | None = None
    activity: str | None = None
    trip_authorization: str | None = None
    missed_appointment_on: date | None = None
    documented_purpose: str | None = None
    claim_ref: str = ""
    submitted_at: datetime | None = None
    filed_on: date | None = None
    rendering_npi: str | None = None
    billing_npi: str | None = None
    procedure_code: str | None = None
    modifiers: tuple[str, ...] | None = None
    diagnosis_codes: tuple[str, ...] | None = None
    place_of_service: str | None = None
    group_clients: int | None = None
    service_date_to: date | None = None

    @property
    def days(self) -> tuple[date, ...]:
        """The dates the line covers: ``service_date``, or each day of its date range
        (``service_date`` to ``service_date_to`` inclusive)."""
        last = self.service_date_to or self.service_date
        span = max((last - self.service_date).days + 1, 1)
        return tuple(self.service_date + timedelta(days=offset) for offset in range(span))

    def day_lines(self) -> tuple[ClaimLine, ...]:
        """A date-range line as the one-day, one-unit lines it stands for, each under
        its own id (:func:`day_id`): what the rules decide, day by day, exactly as
        separate lines of those days would be decided."""
        return tuple(
            replace(
                self,
                claim_id=day_id(self.claim_id, day),
                service_date=day,
                service_date_to=None,
                units=1,
            )
            for day in self.days
        )

    def allowed(
        self, units: int, amount: Decimal, days: tuple[date, ...] | None = None
    ) -> PriorLine:
        """How later lines of the client see this line once ``units`` were allowed
        (``days``: the days allowed of a date-range line)."""
        return PriorLine(
            claim_id=self.claim_id,
            provider_id=self.provider_id,
            voucher_id=self.voucher_id,
            service_code=self.service_code,
            service_date=self.service_date,
            allowed_units=units,
            allowed_amount=amount,
            start_time=self.start_time,
            end_time=self.end_time,
            miles=self.miles,
            pass_type=self.pass_type,
            activity=self.activity,
            face_to_face=self.face_to_face,
            trip_authorization=self.trip_authorization,
            missed_appointment_on=self.missed_appointment_on,
            allowed_days=days,
        )


def day_id(claim_id: str, day: date) -> str:
    """The id one day of a date-range line is decided and remembered under."""
    return f"{claim_id}@{day.isoformat()}"


@dataclass(frozen=True)
class PriorLine:
    """An earlier line of the same client that was allowed (``allowed_units`` > 0).

    ``allowed_days`` are the days allowed of a date-range line (one unit each); such a
    line enters :class:`PriorLines` as one line per allowed day (:meth:`per_day`), so
    every rule reads it as the separate lines of those days."""

    claim_id: str
    provider_id: str
    voucher_id: str
    service_code: str
    service_date: date
    allowed_units: int
    allowed_amount: Decimal
    start_time: time | None = None
    end_time: time | None = None
    miles: Decimal | None = None
    pass_type: str | None = None
    activity: str | None = None
    face_to_face: bool | None = None
    trip_authorization: str | None = None
    missed_appointment_on: date | None = None
    allowed_days: tuple[date, ...] | None = None

    def per_day(self) -> tuple[PriorLine, ...]:
        """The line as the rules read it: itself, or for a date-range line one line of
        one unit per allowed day (its amount shared evenly: each day is the unit
        rate), under the ids the days were decided under (:func:`day_id`)."""
        if self.allowed_days is None:
            return (self,)
        days = self.allowed_days[: self.allowed_units]
        if not days:
            return ()
        share = (self.allowed_amount / len(days)).quantize(Decimal("0.01"))
        return tuple(
            replace(
                self,
                claim_id=day_id(self.claim_id, day),
                service_date=day,
                allowed_units=1,
                allowed_amount=share,
                allowed_days=None,
            )
            for day in days
        )


class PriorLines:
    """A client's earlier allowed lines, indexed by service date.

    Every rule reads lines of one day (conflicts, duplicates, daily caps) or of a date
    window (week, month, episode), so looking them up by date keeps a claim's cost
    independent of how long the client's history is.

    Append-only. ``PriorLines(base=other)`` is an overlay: it reads ``other`` and its
    own lines and appends only to itself, so a batch adds the lines it allows without
    copying or changing the history it was given. Lines of one date keep the order
    they were added in, the base's first.
    """

    __slots__ = ("_base", "_by_date", "_count")

    def __init__(self, lines: Iterable[PriorLine] = (), *, base: PriorLines | None = None) -> None:
        self._base = base
        self._by_date: dict[date, list[PriorLine]] = {}
        self._count = 0
        for line in lines:
            self.append(line)

    def append(self, line: PriorLine) -> None:
        """Add an allowed line (a date-range line as its days, :meth:`PriorLine.per_day`)."""
        for day in line.per_day():
            self._by_date.setdefault(day.service_date, []).append(day)
            self._count += 1

    def __len__(self) -> int:
        return self._count + (len(self._base) if self._base is not None else 0)

    def __iter__(self) -> Iterator[PriorLine]:
        if self._base is not None:
            yield from self._base
        for lines in self._by_date.values():
            yield from lines

    def _days(self) -> int:
        return len(self._by_date) + (self._base._days() if self._base is not None else 0)

    def on(self, day: date) -> list[PriorLine]:
        """The lines of ``day``."""
        own = self._by_date.get(day, [])
        if self._base is None:
            return own
        below = self._base.on(day)
        return below + own if below and own else below or own

    def between(self, first: date | None, last: date | None) -> Iterator[PriorLine]:
        """The lines dated ``first`` to ``last`` inclusive (``None``: unbounded)."""
        if first is not None and last is not None:
            span = (last - first).days + 1
            if span <= 0:
                return
            if span <= self._days():
                for offset in range(span):
                    yield from self.on(first + timedelta(days=offset))
                return
        for line in self:
            if (first is None or line.service_date >= first) and (
                last is None or line.service_date <= last
            ):
                yield line

    def duplicate_of(self, claim: ClaimLine) -> str | None:
        """The first line ``claim`` repeats: same provider, service, date and start time
        under another claim id (``DUPLICATE_CLAIM``); None without a start time.

        The same service billed twice under different ``claim_ref`` values is a
        duplicate; identical resubmissions never get here (the gateway returns the
        original claim)."""
        if claim.start_time is None:
            return None
        for line in self.on(claim.service_date):
            if (
                line.start_time == claim.start_time
                and line.service_code == claim.service_code
                and line.provider_id == claim.provider_id
                and line.claim_id != claim.claim_id
            ):
                return line.claim_id
        return None


@dataclass(frozen=True)
class StatusPeriod:
    """Clinical treatment status from ``effective_from`` until the next period starts.

    ``status`` is one of ``none``, ``level_1``, ``level_1_residential``, ``level_2``,
    ``level_3`` (SPEC §3.1).
    """

    status: str
    effective_from: date


@dataclass(frozen=True)
class StaffRecord:
    """The staff member who delivered the service, from the provider roster (seed 002).

    ``credential_expiry`` is the last day each credential is current (seed 002
    Qualifications §3a "current certification"); ``experience`` the months of experience
    by target population or service code (§3b "experience with the target population",
    §3e "providing the recovery support service the individual wishes to deliver"),
    ``months_experience`` experience not tied to either; ``background_check_outcome``
    what the dated check found (§2 "must successfully pass a DHW background check").
    """

    staff_id: str
    credentials: frozenset[str] = frozenset()
    months_experience: int = 0
    supervised: bool = False
    background_check_date: date | None = None
    background_check_outcome: str | None = None
    credential_expiry: Mapping[str, date] = field(default_factory=lambda: MappingProxyType({}))
    experience: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def current_credentials(self, day: date) -> frozenset[str]:
        """The credentials current on ``day``: every credential but those whose recorded
        expiry is before it (seed 002 Qualifications §3a "must have current
        certification")."""
        expired = {c for c, last in self.credential_expiry.items() if last < day}
        return self.credentials - expired if expired else self.credentials

    def passed_background_check(self, day: date) -> bool:
        """A background check dated on or before ``day`` that the staff member passed
        (seed 002 Qualifications §2 "must successfully pass a DHW background check
        *prior to* the delivery of services"): a date alone, or a failed or pending
        check, is not a pass."""
        checked = self.background_check_date
        return checked is not None and checked <= day and self.background_check_outcome == "passed"


@dataclass(frozen=True)
class ClientHistory:
    """Everything about the client the catalog rules may need, as of this claim.

    ``prior_lines`` are the client's earlier allowed lines (every provider, every
    voucher), in adjudication order, or the same already indexed (:class:`PriorLines`).
    ``episode_start``/``episode_end`` bound the service voucher (the "episode" of SPEC
    §3.4). ``attributes`` are program facts such as
    ``national_guard_referral`` (seed 001 Recovery Home).
    """

    prior_lines: PriorLines | tuple[PriorLine, ...] = ()
    statuses: tuple[StatusPeriod, ...] = ()
    staff: StaffRecord | None = None
    attributes: frozenset[str] = frozenset()
    minor: bool = False
    episode_start: date | None = None
    episode_end: date | None = None
    turns_18_in: int | None = None
    reviewed: frozenset[tuple[date, str]] = frozenset()
    """(service date, service code) of the client's services an administrator or the
    state reviewed and approved for documented unusual circumstances (seed 004 (A)2
    "Unless there are unusual circumstances that are documented in the client record"):
    a limit marked ``reviewable`` does not cut the lines of that service on that date."""

    def minor_on(self, day: date) -> bool:
        """Whether the client is a minor on ``day`` (seed 002 Qualifications §2
        "children/minors"), judged on the service date, not fixed at intake: a client
        under 18 at intake is a minor through the calendar year they turn 18
        (``turns_18_in``; the clients topic carries the year, never the birth date, so a
        service in that year counts as a minor's). Without the year (an older event),
        the intake's answer stands."""
        if not self.minor:
            return False
        return self.turns_18_in is None or day.year <= self.turns_18_in

    @cached_property
    def lines(self) -> PriorLines:
        """``prior_lines`` indexed by date (given as such by the worker)."""
        if isinstance(self.prior_lines, PriorLines):
            return self.prior_lines
        return PriorLines(self.prior_lines)

    def discharged_on(self, day: date) -> bool:
        """Whether the client is, on ``day``, following discharge from clinical treatment
        (seed 001 Continuing Care "provided following discharge"): the status in effect
        that day is ``none`` and an earlier period was a treatment level."""
        periods = sorted(
            (p for p in self.statuses if p.effective_from <= day), key=lambda p: p.effective_from
        )
        if not periods or periods[-1].status != "none":
            return False
        return any(p.status != "none" for p in periods[:-1])

    def status_on(self, day: date) -> str:
        """The clinical treatment status in effect on ``day`` (``none`` if unknown)."""
        current = "none"
        for period in sorted(self.statuses, key=lambda p: p.effective_from):
            if period.effective_from <= day:
                current = period.status
        return current


Outcome = Literal["approved", "partially_approved", "denied", "pending"]
"""SPEC §3.4 outcomes, and ``pending``: not decided yet (the read-your-writes rule)."""


@dataclass(frozen=True)
class Decision:
    """The answer on one line: units and amount allowed, and why the rest was denied.

    ``reasons`` are ordered by :data:`services.claims.domain.adjudicate.PRECEDENCE`.
    A pending decision (``pending``) allows and denies nothing yet: the line waits
    until the view it is decided on includes every acknowledged change (SPEC §3.4).
    """

    billed_units: int
    allowed_units: int
    unit_rate: Decimal | None
    allowed_amount: Decimal
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    pending: bool = False
    allowed_days: tuple[date, ...] | None = None
    """The days allowed of a date-range line (None for a one-day line)."""

    @classmethod
    def pend(cls, claim: ClaimLine) -> Decision:
        """The line waits (SPEC §3.4 read-your-writes): nothing allowed or denied."""
        return cls(claim.units, 0, None, Decimal("0.00"), (), pending=True)

    @classmethod
    def deny(cls, claim: ClaimLine, reason: Reason, rate: Decimal | None = None) -> Decision:
        """The whole line denied with ``reason``."""
        return cls(claim.units, 0, rate, Decimal("0.00"), (reason,))

    @property
    def denied_units(self) -> int:
        """Units not allowed (none while pending)."""
        return 0 if self.pending else self.billed_units - self.allowed_units

    @property
    def denied_amount(self) -> Decimal:
        """The denied units at the unit rate, in cents (0.00 without a rate)."""
        if self.unit_rate is None:
            return Decimal("0.00")
        return (self.unit_rate * self.denied_units).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def outcome(self) -> Outcome:
        """``approved``, ``partially_approved``, ``denied`` (SPEC §3.4) or ``pending``."""
        if self.pending:
            return "pending"
        if self.allowed_units == self.billed_units and self.billed_units > 0:
            return "approved"
        if self.allowed_units > 0:
            return "partially_approved"
        return "denied"
