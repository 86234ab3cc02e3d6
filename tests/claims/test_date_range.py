"""Per-diem lines billed as a date range decide as the separate lines of their days.

A line from ``service_date`` to ``service_date_to`` (one unit a day, a per-diem
service: emergency housing, seed 000 §5; extended residential support, §6) and the same
days billed as one-day lines, on the same history, get the same total: units and amount
allowed, and the set of reasons (table-driven and property-based). Later lines of the
client see a range line as the separate days it allowed, whether it was decided in the
same batch or read back from the stored history. No broker, no database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.reasons import Reason
from programs.loader import load_catalog
from services.claims.adapters.claim_lines import adjudicated_event, decision_values, prior_line
from services.claims.adapters.claim_store import Loaded
from services.claims.adapters.history import StoredHistory
from services.claims.domain.adjudicate import adjudicate, needs_lookup
from services.claims.domain.engine import evaluate
from services.claims.domain.facts import (
    AuthorisedService,
    Client,
    Facts,
    History,
    Provider,
    Voucher,
)
from services.claims.domain.model import (
    ClaimLine,
    ClientHistory,
    Decision,
    PriorLine,
    PriorLines,
    StaffRecord,
    StatusPeriod,
)
from services.claims.service_layer.adjudication import decide_batch

MO = load_catalog("missouri_atr2")
HOUSING = "EMERGENCY_HOUSING"  # 25.00 a day; 1 a day, 5 an episode
EXTENDED = "EXTENDED_RESIDENTIAL_SUPPORT"  # 20.00 a day; 1 a day, $400 an episode
DROP_IN = "DROP_IN_CENTER"  # not on the same day as a housing service
TODAY = date(2026, 9, 30)
START = date(2026, 9, 10)
SUBMITTED = datetime(2026, 9, 30, 12, tzinfo=UTC)

VOUCHER = Voucher(
    voucher_id="V1",
    client_id="C1",
    status="active",
    valid_from=date(2026, 9, 1),
    valid_until=date(2026, 12, 31),
    authorised=MappingProxyType(
        {code: AuthorisedService(code, units=60) for code in (HOUSING, EXTENDED, DROP_IN)}
    ),
    provider_id="P1",
    admitted_on=date(2026, 9, 1),
    admission_recorded_at=datetime(2026, 9, 1, tzinfo=UTC),
)
PROVIDER = Provider(
    "P1",
    "active",
    frozenset({HOUSING, EXTENDED, DROP_IN}),
    MappingProxyType({"S1": StaffRecord("S1")}),
)
CLIENT = Client(eligible=True, statuses=(StatusPeriod("level_2", date(2026, 9, 1)),))


def line(claim_id: str, code: str, first: date, days: int = 1) -> ClaimLine:
    """A per-diem line of ``days`` days from ``first`` (a date range when more than one)."""
    return ClaimLine(
        claim_id=claim_id,
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=code,
        service_date=first,
        units=days,
        staff_id="S1",
        claim_ref=claim_id,
        submitted_at=SUBMITTED,
        service_date_to=first + timedelta(days=days - 1) if days > 1 else None,
    )


def separate(claim_id: str, code: str, first: date, days: int) -> list[ClaimLine]:
    """The same days as one-day lines."""
    return [line(f"{claim_id}-{n}", code, first + timedelta(days=n)) for n in range(days)]


def prior(code: str, day: date, claim_id: str | None = None) -> PriorLine:
    """An allowed one-day line already in the client's history."""
    rate = MO.service(code).rate
    assert rate is not None
    return PriorLine(claim_id or f"H-{code}-{day}", "P1", "V1", code, day, 1, rate)


def decide(
    lines: list[ClaimLine],
    history: tuple[PriorLine, ...] = (),
    voucher: Voucher = VOUCHER,
    client: Client = CLIENT,
) -> list[Decision]:
    """The batch worker's decisions on ``lines``, in order, after ``history``."""
    stored = StoredHistory()
    for earlier in history:
        stored.add(earlier)
    batch = Loaded(
        lines=lines,
        vouchers={"V1": voucher},
        providers={"P1": PROVIDER},
        clients={"C1": client},
        histories={"C1": stored},
        client_vouchers={"C1": (voucher,)},
    )
    return [d for _, d in decide_batch(batch, MO, today=TODAY, authoritative={})]


def total(decisions: list[Decision]) -> tuple[int, Decimal, frozenset[Reason]]:
    """Units and amount allowed, and the reasons, of some lines together."""
    return (
        sum(d.allowed_units for d in decisions),
        sum((d.allowed_amount for d in decisions), Decimal("0.00")),
        frozenset(r for d in decisions for r in d.reasons),
    )


def same_decision(
    code: str,
    first: date,
    days: int,
    history: tuple[PriorLine, ...] = (),
    after: tuple[ClaimLine, ...] = (),
    **facts: Any,
) -> tuple[int, Decimal, frozenset[Reason]]:
    """Decide the range line and, apart, the separate lines (then ``after`` in both
    batches); assert the totals and the later lines' decisions agree; the total."""
    ranged = decide([line("R", code, first, days), *after], history, **facts)
    apart = decide([*separate("D", code, first, days), *after], history, **facts)
    assert total(ranged[:1]) == total(apart[:days])
    assert ranged[0].billed_units == days
    assert [(d.allowed_units, d.reasons) for d in ranged[1:]] == [
        (d.allowed_units, d.reasons) for d in apart[days:]
    ]
    return total(ranged[:1])


def test_a_three_night_stay_on_one_line_is_three_days_of_housing() -> None:
    decisions = decide([line("R", HOUSING, START, 3)])
    assert decisions[0].outcome == "approved"
    assert (decisions[0].allowed_units, decisions[0].allowed_amount) == (3, Decimal("75.00"))
    assert decisions[0].allowed_days == (START, START + timedelta(1), START + timedelta(2))
    assert same_decision(HOUSING, START, 3) == (3, Decimal("75.00"), frozenset())


D = timedelta(days=1)
LIMITED = replace(
    VOUCHER, authorised=MappingProxyType({HOUSING: AuthorisedService(HOUSING, units=2)})
)
ENDS = replace(VOUCHER, valid_until=START + D)
LEVEL_ONE_RESIDENTIAL = Client(
    eligible=True,
    statuses=(
        StatusPeriod("level_2", date(2026, 9, 1)),
        StatusPeriod("level_1_residential", START + D),
    ),
)

CASES: dict[str, tuple[dict[str, Any], tuple[int, str, frozenset[Reason]]]] = {
    "episode limit: 3 used, 3 billed": (
        {
            "code": HOUSING,
            "days": 3,
            "history": tuple(prior(HOUSING, START - n * D) for n in (1, 2, 3)),
        },
        (2, "50.00", frozenset({Reason.EPISODE_LIMIT})),
    ),
    "daily limit: the middle night billed already": (
        {"code": HOUSING, "days": 3, "history": (prior(HOUSING, START + D),)},
        (2, "50.00", frozenset({Reason.DAILY_LIMIT})),
    ),
    "drop-in on the first day conflicts": (
        {"code": HOUSING, "days": 3, "history": (prior(DROP_IN, START),)},
        (2, "50.00", frozenset({Reason.CONFLICTING_SERVICE})),
    ),
    "a week's stay past the five-day episode": (
        {"code": HOUSING, "days": 7},
        (5, "125.00", frozenset({Reason.EPISODE_LIMIT})),
    ),
    "voucher units run out": (
        {"code": HOUSING, "days": 3, "voucher": LIMITED},
        (2, "50.00", frozenset({Reason.VOUCHER_UNITS_EXHAUSTED})),
    ),
    "voucher ends mid-stay": (
        {"code": HOUSING, "days": 4, "voucher": ENDS},
        (2, "50.00", frozenset({Reason.VOUCHER_EXPIRED})),
    ),
    "stay runs into the future": (
        {"code": HOUSING, "days": 3, "first": TODAY - D},
        (2, "50.00", frozenset({Reason.FUTURE_DATE})),
    ),
    "extended support's $400 episode cap": (
        {
            "code": EXTENDED,
            "days": 5,
            "history": tuple(prior(EXTENDED, START + n * D) for n in range(10, 28)),
        },
        (2, "40.00", frozenset({Reason.DOLLAR_CAP})),
    ),
    "client enters level 1 residential mid-stay": (
        {"code": EXTENDED, "days": 3, "client": LEVEL_ONE_RESIDENTIAL},
        (1, "20.00", frozenset({Reason.CLIENT_NOT_ELIGIBLE})),
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_date_range_line_decides_as_its_days_would_apart(case: str) -> None:
    given_, (units, amount, reasons) = CASES[case]
    kwargs = dict(given_)
    code, days = kwargs.pop("code"), kwargs.pop("days")
    first = kwargs.pop("first", START)
    later = (line("L1", code, first + D), line("L2", code, first + days * D))
    got = same_decision(code, first, days, after=later, **kwargs)
    assert got == (units, Decimal(amount), reasons)


@settings(max_examples=60, deadline=None)
@given(
    code=st.sampled_from([HOUSING, EXTENDED]),
    offset=st.integers(0, 25),
    days=st.integers(1, 8),
    housing_days=st.sets(st.integers(-6, 30), max_size=6),
    drop_in_days=st.sets(st.integers(0, 30), max_size=3),
    units=st.integers(0, 10),
)
def test_any_range_decides_as_its_days_would_apart(
    code: str,
    offset: int,
    days: int,
    housing_days: set[int],
    drop_in_days: set[int],
    units: int,
) -> None:
    history = tuple(prior(code, START + n * D) for n in sorted(housing_days)) + tuple(
        prior(DROP_IN, START + n * D) for n in sorted(drop_in_days)
    )
    voucher = replace(
        VOUCHER,
        authorised=MappingProxyType(
            {code: AuthorisedService(code, units=units + len(housing_days))}
        ),
    )
    first = START + offset * D
    later = (line("L1", code, first + D), line("L2", code, first + days * D))
    same_decision(code, first, days, history, after=later, voucher=voucher)


def test_a_stored_range_line_reads_back_as_the_days_it_allowed() -> None:
    ranged = line("R", HOUSING, START, 3)
    facts = Facts(TODAY, voucher=VOUCHER, provider=PROVIDER, staff=StaffRecord("S1"), client=CLIENT)
    decision = adjudicate(ranged, facts, History(PriorLines((prior(HOUSING, START + D),))), MO)
    assert decision.allowed_days == (START, START + 2 * D)
    values = decision_values(decision, SUBMITTED, 1)
    assert values["allowed_days"] == [START.isoformat(), (START + 2 * D).isoformat()]
    row = SimpleNamespace(
        **{
            name: getattr(ranged.allowed(0, Decimal(0)), name)
            for name in PriorLine.__dataclass_fields__
        },
    )
    row.allowed_units, row.allowed_amount = values["allowed_units"], values["allowed_amount"]
    row.allowed_days = values["allowed_days"]
    stored = prior_line(row)
    lines = PriorLines((stored,))
    assert len(lines) == 2
    assert [(p.service_date, p.allowed_units, p.allowed_amount) for p in lines] == [
        (START, 1, Decimal("25.00")),
        (START + 2 * D, 1, Decimal("25.00")),
    ]
    assert lines.on(START + D) == []


def test_a_corrected_range_line_keeps_its_first_days() -> None:
    stored = replace(prior(HOUSING, START), allowed_units=2, allowed_amount=Decimal("50.00"))
    stored = replace(stored, allowed_days=(START, START + D, START + 2 * D))
    assert [p.service_date for p in stored.per_day()] == [START, START + D]


def test_a_range_of_a_service_not_billed_by_the_day_is_not_billable() -> None:
    mentoring = replace(line("R", HOUSING, START, 2), service_code="RECOVERY_MENTORING_IND")
    assert decide([mentoring])[0].reasons == (Reason.NOT_BILLABLE,)
    wrong_units = replace(line("R", HOUSING, START, 3), units=2)
    assert decide([wrong_units])[0].reasons == (Reason.INVALID_UNITS,)


def test_the_engine_alone_decides_a_range_day_by_day() -> None:
    history = ClientHistory(
        prior_lines=(prior(HOUSING, START + D),),
        statuses=CLIENT.statuses,
        episode_start=VOUCHER.valid_from,
        episode_end=VOUCHER.valid_until,
    )
    decision = evaluate(MO, line("R", HOUSING, START, 3), history)
    assert (decision.allowed_units, decision.reasons) == (2, (Reason.DAILY_LIMIT,))
    assert decision.allowed_amount == Decimal("50.00")


def test_a_range_needs_the_vouchers_answer_when_any_day_does() -> None:
    later_admission = replace(VOUCHER, admitted_on=START + 2 * D)
    facts = Facts(TODAY, voucher=later_admission, provider=PROVIDER, staff=StaffRecord("S1"))
    assert needs_lookup(line("R", HOUSING, START + 2 * D, 2), facts) is False
    assert needs_lookup(line("R", HOUSING, START, 3), facts) is True


def test_the_adjudication_event_carries_the_range() -> None:
    ranged = line("R", HOUSING, START, 3)
    [decision] = decide([ranged])
    event = adjudicated_event(ranged, decision, SUBMITTED)
    assert (event.data.service_date, event.data.service_date_to) == (START, START + 2 * D)
    assert event.data.allowed_amount == Decimal("75.00")
    one_day = line("O", HOUSING, START)
    assert adjudicated_event(one_day, decide([one_day])[0], SUBMITTED).data.service_date_to is None
