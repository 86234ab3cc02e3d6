"""GPRA outcome reports and follow-up compliance: pure functions over the facts the
reporting service read from ``atr.clients.v1`` and ``atr.vouchers.v1`` (SPEC §3.6;
seed 003 §VI-3.1 and App. C §5a).

No I/O here: the service layer loads the facts and hands them in. Client ids are the
platform's pseudonymous ids; nothing identifying reaches these functions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from contracts.clients import GpraKind
from services.eligibility.domain.gpra_schedule import (
    DueInterview,
    DueStatus,
    Episode,
    GpraPolicy,
    RecordedInterview,
    interviews_due,
)

REPORT_DUE_DAYS = 30
"""Outcome data are reported "quarterly, within 30 days from the end of the quarter"
(seed 003 App. C §5c.1)."""

TREATMENT_VOUCHERS = ("service", "reentry")
"""Vouchers "for clinical treatment and recovery support services" (App. C items 6.1,
6.2): the assessment voucher is not one."""

FOLLOW_UP_KINDS: tuple[GpraKind, ...] = ("follow_up", "discharge")
"""Interviews the follow-up rate counts. The post-exit interview is collected on a
sample basis (App. C note 6), so a missing one is not a missed follow-up."""

INDICATORS: tuple[tuple[int, str, str], ...] = (
    (1, "abstinent", "App. C items 1.1 a and 1.1 c: no alcohol and no illegal drugs"),
    (2, "employed_or_in_school", "App. C items 2.1 and 2.3: employed or enrolled"),
    (3, "no_arrests", "App. C item 3.1: no arrests in the past 30 days"),
    (4, "housed", "App. C item 4.1: not homeless"),
    (5, "social_support", "App. C items 5.1-5.4: any support of recovery"),
)
"""The client-level domains compared at intake and follow-up, abstinence first (seed 003
§VI-3.1: improvement "particularly abstinence" decides later funding)."""

_PERIOD = re.compile(r"^(20[0-9]{2})Q([1-4])$")
HUNDRED = Decimal(100)


class PeriodError(ValueError):
    """A period that is not a fiscal quarter such as ``2027Q2``."""


@dataclass(frozen=True)
class Quarter:
    """A fiscal quarter of the program's fiscal year (July to June, named by the year it
    ends in, as payments' allotments: Q1 Jul-Sep, Q2 Oct-Dec, Q3 Jan-Mar, Q4 Apr-Jun)."""

    fiscal_year: int
    quarter: int
    starts_on: date
    ends_on: date

    @property
    def name(self) -> str:
        """The period as written in a request, e.g. ``2027Q2``."""
        return f"{self.fiscal_year}Q{self.quarter}"

    @property
    def due_on(self) -> date:
        """The day the quarter's report is due: 30 days after its end (App. C §5c.1)."""
        return self.ends_on + timedelta(days=REPORT_DUE_DAYS)

    def holds(self, day: date | None) -> bool:
        """Whether ``day`` falls in the quarter."""
        return day is not None and self.starts_on <= day <= self.ends_on


def parse_quarter(period: str) -> Quarter:
    """``2027Q2`` as a :class:`Quarter` (fiscal quarters as SPEC §3.5 allotments)."""
    match = _PERIOD.match(period)
    if match is None:
        raise PeriodError("a fiscal quarter such as 2027Q2")
    fiscal_year, quarter = int(match[1]), int(match[2])
    month = 7 + 3 * (quarter - 1)
    year = fiscal_year - 1 if month <= 12 else fiscal_year
    month = month if month <= 12 else month - 12
    starts_on = date(year, month, 1)
    next_start = date(year + (month + 3 > 12), (month + 2) % 12 + 1, 1)
    return Quarter(fiscal_year, quarter, starts_on, next_start - timedelta(days=1))


# --- facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterviewFact:
    """A GPRA interview as ``GpraRecorded`` told it (no answers, only indicators)."""

    interview_id: str
    client_id: str
    kind: GpraKind
    conducted_on: date
    provider_id: str | None = None
    discharge_reason: str | None = None
    indicators: dict[str, bool | None] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VoucherFact:
    """A voucher's latest snapshot from ``atr.vouchers.v1``."""

    voucher_id: str
    client_id: str
    kind: str
    issued_on: date
    provider_id: str | None = None
    admitted_on: date | None = None
    discharged_on: date | None = None


@dataclass(frozen=True)
class AssessmentFact:
    """An assessment (``ClientAssessed``): it starts an episode (App. E §3 case number)."""

    client_id: str
    case_number: int
    assessed_on: date


# --- the quarterly report -----------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, to one decimal (None of nothing)."""
    if not whole:
        return None
    return (HUNDRED * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DomainComparison:
    """One indicator at intake and at the latest follow-up or discharge."""

    domain: int
    indicator: str
    source: str
    clients: int
    at_intake: int
    at_follow_up: int

    @property
    def at_intake_percent(self) -> Decimal | None:
        """Share at intake."""
        return percent(self.at_intake, self.clients)

    @property
    def at_follow_up_percent(self) -> Decimal | None:
        """Share at follow-up."""
        return percent(self.at_follow_up, self.clients)


def follow_up_pairs(
    interviews: Iterable[InterviewFact], quarter: Quarter
) -> list[tuple[InterviewFact, InterviewFact]]:
    """Per client whose latest follow-up or discharge interview up to the quarter's end
    was conducted in the quarter: (the latest intake before it, that interview). The
    cohort SPEC §3.6 compares ("the seven domains at intake vs latest follow-up/
    discharge"); a client without an earlier intake has nothing to compare."""
    by_client: dict[str, list[InterviewFact]] = defaultdict(list)
    for interview in interviews:
        if interview.conducted_on <= quarter.ends_on:
            by_client[interview.client_id].append(interview)
    pairs = []
    for client_id in sorted(by_client):
        ordered = sorted(by_client[client_id], key=lambda i: (i.conducted_on, i.interview_id))
        later = [i for i in ordered if i.kind in FOLLOW_UP_KINDS]
        if not later or not quarter.holds(later[-1].conducted_on):
            continue
        latest = later[-1]
        intakes = [
            i for i in ordered if i.kind == "intake" and i.conducted_on <= latest.conducted_on
        ]
        if intakes:
            pairs.append((intakes[-1], latest))
    return pairs


def compare_domains(pairs: Sequence[tuple[InterviewFact, InterviewFact]]) -> list[DomainComparison]:
    """Each client-level domain's indicator at intake vs follow-up, counted over the
    clients who answered the domain both times (seed 003 §VI-3.1 seven domains, App. C
    §5a; abstinence first)."""
    rows = []
    for domain, indicator, source in INDICATORS:
        answered = [
            (intake.indicators.get(indicator), later.indicators.get(indicator))
            for intake, later in pairs
        ]
        both = [(before, after) for before, after in answered if None not in (before, after)]
        rows.append(
            DomainComparison(
                domain=domain,
                indicator=indicator,
                source=source,
                clients=len(both),
                at_intake=sum(1 for before, _ in both if before),
                at_follow_up=sum(1 for _, after in both if after),
            )
        )
    return rows


@dataclass(frozen=True)
class AccessCounts:
    """Domain 6, access/capacity (App. C items 6.1-6.3) from the voucher topic."""

    clients_with_vouchers: int
    vouchers_issued: int
    clients_with_vouchers_to_date: int
    vouchers_issued_to_date: int


def access_counts(vouchers: Iterable[VoucherFact], quarter: Quarter) -> AccessCounts:
    """People who received treatment or recovery vouchers and vouchers issued (App. C
    items 6.1, 6.2), in the quarter and up to its end."""
    treatment = [
        v for v in vouchers if v.kind in TREATMENT_VOUCHERS and v.issued_on <= quarter.ends_on
    ]
    in_quarter = [v for v in treatment if quarter.holds(v.issued_on)]
    return AccessCounts(
        clients_with_vouchers=len({v.client_id for v in in_quarter}),
        vouchers_issued=len(in_quarter),
        clients_with_vouchers_to_date=len({v.client_id for v in treatment}),
        vouchers_issued_to_date=len(treatment),
    )


@dataclass(frozen=True)
class SessionsInCategory:
    """Item 7.1: one service category's sessions/days over the follow-up cohort."""

    category: str
    clients: int
    sessions: int
    per_client: Decimal


def sessions_per_category(latest: Sequence[InterviewFact]) -> list[SessionsInCategory]:
    """Sessions/days per item 7.1 category in the past 30 days, per client of the cohort
    (App. C item 7.1): the total over each client's latest follow-up or discharge, and
    that total divided by the cohort's size (two decimals). Categories nobody used are
    left out."""
    totals: Counter[str] = Counter()
    users: Counter[str] = Counter()
    for interview in latest:
        for category, count in interview.sessions.items():
            if count:
                totals[category] += count
                users[category] += 1
    size = len(latest)
    return [
        SessionsInCategory(
            category,
            users[category],
            totals[category],
            (Decimal(totals[category]) / size).quantize(Decimal("0.01"), ROUND_HALF_UP),
        )
        for category in sorted(totals)
    ]


RETENTION_WINDOW_DAYS = 30
"""Item 7.1 counts "service sessions/days provided to each client during the past 30
days" (seed 003 App. C item 7.1): the interview day and the 29 days before it."""


@dataclass(frozen=True)
class ClaimedSession:
    """A claim line the program allowed: one client, one service, one service date."""

    client_id: str
    service_code: str
    service_date: date


def claimed_sessions_per_category(
    latest: Sequence[InterviewFact],
    claimed: Iterable[ClaimedSession],
    category_of: Callable[[str], str],
) -> list[SessionsInCategory]:
    """Item 7.1 from the claims (seed 003 App. C item 7.1): for each client of the cohort,
    the sessions/days of each category in the 30 days up to their latest follow-up or
    discharge interview, each catalog service counted under its category
    (``category_of``). One session/day is one client, one category, one service date:
    two lines of one category on a day are one session, a day of housing is one day.
    Totals and per cohort client as :func:`sessions_per_category` gives them."""
    windows = {
        interview.client_id: (
            interview.conducted_on - timedelta(days=RETENTION_WINDOW_DAYS - 1),
            interview.conducted_on,
        )
        for interview in latest
    }
    days: set[tuple[str, str, date]] = set()
    for line in claimed:
        window = windows.get(line.client_id)
        if window is not None and window[0] <= line.service_date <= window[1]:
            days.add((line.client_id, category_of(line.service_code), line.service_date))
    totals: Counter[str] = Counter(category for _, category, _ in days)
    users: Counter[str] = Counter(category for _, category in {(c, k) for c, k, _ in days})
    size = len(latest)
    return [
        SessionsInCategory(
            category,
            users[category],
            totals[category],
            (Decimal(totals[category]) / size).quantize(Decimal("0.01"), ROUND_HALF_UP),
        )
        for category in sorted(totals)
    ]


@dataclass(frozen=True)
class StayLengths:
    """Item 7.2: length of stay of the vouchers discharged in the quarter."""

    discharges: int
    average_days: Decimal | None
    longest_days: int | None


def stay_lengths(vouchers: Iterable[VoucherFact], quarter: Quarter) -> StayLengths:
    """Days from admission (the voucher's activation: first service) to discharge, for
    vouchers discharged in the quarter (App. C item 7.2: "date of first ... service to
    date of last contact"); a discharge without an admission date is left out."""
    days = [
        (v.discharged_on - v.admitted_on).days
        for v in vouchers
        if quarter.holds(v.discharged_on)
        and v.admitted_on is not None
        and v.discharged_on is not None
    ]
    if not days:
        return StayLengths(0, None, None)
    average = (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return StayLengths(len(days), average, max(days))


def discharges_by_reason(interviews: Iterable[InterviewFact], quarter: Quarter) -> dict[str, int]:
    """Discharge interviews conducted in the quarter by item 7.2 2.c reason
    (``not_answered`` when the reason was left out, e.g. a brief intervention)."""
    reasons = Counter(
        i.discharge_reason or "not_answered"
        for i in interviews
        if i.kind == "discharge" and quarter.holds(i.conducted_on)
    )
    return dict(sorted(reasons.items()))


# --- follow-up compliance -------------------------------------------------------------------


@dataclass(frozen=True)
class ClientHistory:
    """What reporting knows of one client for the worklist."""

    client_id: str
    episodes: list[Episode]
    interviews: list[InterviewFact]
    vouchers: list[VoucherFact]


@dataclass(frozen=True)
class WorklistEntry:
    """An interview due or overdue on ``as_of``, with the provider that owes it."""

    client_id: str
    provider_id: str | None
    owed: DueInterview
    overdue_days: int


def provider_of(history: ClientHistory) -> str | None:
    """The provider responsible for the client's interviews: the one selected on the
    latest treatment voucher, else the one that reported the latest interview."""
    chosen = sorted(
        (v for v in history.vouchers if v.provider_id and v.kind in TREATMENT_VOUCHERS),
        key=lambda v: (v.issued_on, v.voucher_id),
    )
    if chosen:
        return chosen[-1].provider_id
    reported = sorted(
        (i for i in history.interviews if i.provider_id),
        key=lambda i: (i.conducted_on, i.interview_id),
    )
    return reported[-1].provider_id if reported else None


def owed_interviews(
    history: ClientHistory, as_of: date, policy: GpraPolicy | None = None
) -> list[DueInterview]:
    """The interviews the client owes on ``as_of``: eligibility's schedule (seed 003
    App. C §5a notes 1, 3, 6; :func:`interviews_due`) plus one rule only the voucher
    topic knows: a voucher discharge ends the episode (App. C note 3, "exit from a paid
    service"), so the discharge interview is due from the discharge date with the
    discharge grace period, and no follow-up falls due after it."""
    rules = policy or GpraPolicy()
    recorded = [RecordedInterview(i.kind, i.conducted_on) for i in history.interviews]
    owed = interviews_due(history.episodes, recorded, as_of, rules)
    if not history.episodes:
        return owed
    latest = max(history.episodes, key=lambda e: e.started_on)
    exits = sorted(
        v.discharged_on
        for v in history.vouchers
        if v.discharged_on is not None and v.discharged_on >= latest.started_on
    )
    if not exits or exits[0] > as_of:
        return owed
    exit_on = exits[0]
    adjusted = []
    for due in owed:
        ours = due.case_number == latest.case_number
        if ours and due.kind == "follow_up" and due.due_by > exit_on:
            continue
        if ours and due.kind == "discharge":
            due_by = exit_on + timedelta(days=rules.discharge_grace_days)
            status: DueStatus = "due" if as_of <= due_by else "overdue"
            due = replace(due, opens_on=exit_on, due_by=due_by, status=status)
        adjusted.append(due)
    return sorted(adjusted, key=lambda d: (d.due_by, d.case_number, d.kind))


def worklist(
    histories: Iterable[ClientHistory], as_of: date, policy: GpraPolicy | None = None
) -> list[WorklistEntry]:
    """Every interview due or overdue program-wide on ``as_of`` (SPEC §3.1 "the system
    knows which interviews are due and overdue", §3.6 follow-up compliance), most
    overdue first; upcoming ones are left out."""
    entries = []
    for history in histories:
        provider_id = provider_of(history)
        for owed in owed_interviews(history, as_of, policy):
            if owed.status == "upcoming":
                continue
            late = max((as_of - owed.due_by).days, 0) if owed.status == "overdue" else 0
            entries.append(WorklistEntry(history.client_id, provider_id, owed, late))
    return sorted(entries, key=lambda e: (-e.overdue_days, e.owed.due_by, e.client_id, e.owed.kind))


@dataclass(frozen=True)
class FollowUpRate:
    """Follow-up and discharge interviews conducted against those missed."""

    provider_id: str | None
    conducted: int
    missed: int

    @property
    def rate(self) -> Decimal | None:
        """Conducted over conducted plus missed, in percent (None when neither)."""
        return percent(self.conducted, self.conducted + self.missed)


def follow_up_rates(
    histories: Sequence[ClientHistory], entries: Sequence[WorklistEntry], as_of: date
) -> tuple[list[FollowUpRate], FollowUpRate]:
    """The follow-up rate per provider and program-wide on ``as_of`` (SPEC §3.6): follow-up
    and discharge interviews conducted up to ``as_of`` (counted for the provider that
    reported them, else the client's provider) over those plus the ones overdue (counted
    for the client's provider). Interviews still within their window count neither way;
    post-exit interviews are sampled (App. C note 6) and not counted."""
    conducted: Counter[str | None] = Counter()
    missed: Counter[str | None] = Counter()
    for history in histories:
        fallback = provider_of(history)
        for interview in history.interviews:
            if interview.kind in FOLLOW_UP_KINDS and interview.conducted_on <= as_of:
                conducted[interview.provider_id or fallback] += 1
    for entry in entries:
        if entry.owed.kind in FOLLOW_UP_KINDS and entry.owed.status == "overdue":
            missed[entry.provider_id] += 1
    providers = sorted(set(conducted) | set(missed), key=lambda p: (p is None, p or ""))
    rows = [FollowUpRate(p, conducted[p], missed[p]) for p in providers]
    program = FollowUpRate(None, sum(conducted.values()), sum(missed.values()))
    return rows, program


# --- outcomes per provider ------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderOutcome:
    """A provider's abstinence at follow-up/discharge and its completions in a quarter."""

    provider_id: str
    clients_followed_up: int
    abstinent: int
    completions: int

    @property
    def abstinence_rate(self) -> Decimal | None:
        """Abstinent clients over clients whose abstinence was reported, in percent."""
        return percent(self.abstinent, self.clients_followed_up)


def provider_outcomes(
    interviews: Iterable[InterviewFact], quarter: Quarter
) -> list[ProviderOutcome]:
    """Per provider, for the report cards (SPEC §3.6 "abstinence and completion
    outcomes"): of the clients whose latest follow-up or discharge interview the provider
    reported in the quarter with domain 1 answered, how many were abstinent (App. C items
    1.1 a and c; note 1: abstinence is the primary outcome measure); and its discharge
    interviews in the quarter with reason ``treatment_completed`` (item 7.2 2.c)."""
    latest: dict[tuple[str, str], InterviewFact] = {}
    completions: Counter[str] = Counter()
    for interview in sorted(interviews, key=lambda i: (i.conducted_on, i.interview_id)):
        if interview.provider_id is None or interview.kind not in FOLLOW_UP_KINDS:
            continue
        if not quarter.holds(interview.conducted_on):
            continue
        if interview.indicators.get("abstinent") is not None:
            latest[(interview.provider_id, interview.client_id)] = interview
        if interview.kind == "discharge" and interview.discharge_reason == "treatment_completed":
            completions[interview.provider_id] += 1
    followed: Counter[str] = Counter()
    abstinent: Counter[str] = Counter()
    for (provider_id, _client), interview in latest.items():
        followed[provider_id] += 1
        abstinent[provider_id] += bool(interview.indicators.get("abstinent"))
    return [
        ProviderOutcome(p, followed[p], abstinent[p], completions[p])
        for p in sorted(set(followed) | set(completions))
    ]
