"""Property tests of the engine: whatever claims arrive, in
whatever order, allowed units never exceed billed units and no cap window of the
Missouri catalog (seed 000) is ever exceeded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.reasons import Reason
from programs.catalog import LEVEL_ONE_STATUSES, Limit
from programs.loader import load_catalog
from services.claims.domain.model import ClaimLine, ClientHistory, Decision, StaffRecord
from services.claims.domain.precedence import RANK
from tests.programs.builders import EPISODE, history, run

MO = load_catalog("missouri_atr2")
STAFF = StaffRecord(
    "S1",
    frozenset(
        {
            "addictions_academy_graduate",
            "ordained_minister",
            "qualified_substance_abuse_professional",
        }
    ),
)
START = date(2026, 9, 7)  # a Monday; three weeks of claims cross a month end


@st.composite
def claims(draw: st.DrawFn) -> ClaimLine:
    code = draw(st.sampled_from(sorted(MO.services)))
    service = MO.service(code)
    day = START + timedelta(days=draw(st.integers(0, 27)))
    hour = draw(st.integers(6, 18))
    length = draw(st.sampled_from([30, 60, 90, 120]))
    units = draw(st.integers(1, 12)) if service.unit != "mile" else draw(st.integers(1, 120))
    pass_type = draw(st.sampled_from(["daily", "weekly", "monthly"]))
    return ClaimLine(
        claim_id=f"K{draw(st.integers(0, 10**9))}",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=code,
        service_date=day,
        units=units,
        staff_id="S1",
        start_time=time(hour),
        end_time=time(hour + length // 60, length % 60),
        group_size=draw(st.sampled_from([None, 1, 2, 5, 12, 30])),
        client_signature=True,
        face_to_face=draw(st.booleans()),
        pass_type=pass_type if code == "TRANSPORT_PUBLIC" else None,
        pass_serial="SN" if code == "TRANSPORT_PUBLIC" else None,
        pass_price=Decimal("3.00") if code == "TRANSPORT_PUBLIC" else None,
        activity=draw(st.sampled_from([None, "gpra_follow_up"]))
        if code == "CARE_COORDINATION"
        else None,
    )


def assert_caps_hold(results: list[tuple[ClaimLine, Decision]], base: ClientHistory) -> None:
    allowed = [(c, d) for c, d in results if d.allowed_units > 0]
    for claim, decision in results:
        assert 0 <= decision.allowed_units <= claim.units
        assert decision.allowed_amount >= 0
    for code, service in MO.services.items():
        lines = [(c, d) for c, d in allowed if c.service_code == code]
        for limit in service.limits:
            for claim, _ in lines:
                assert window_total(limit, claim, lines, base) <= (limit.units or limit.amount)  # type: ignore[operator]
        if service.level_one_cap is not None:
            in_level_one = sum(
                d.allowed_units
                for c, d in lines
                if base.status_on(c.service_date) in LEVEL_ONE_STATUSES
            )
            assert in_level_one <= service.level_one_cap.units
        if service.mileage is not None:
            per_day: dict[date, int] = defaultdict(int)
            for c, d in lines:
                assert d.allowed_units <= service.mileage.per_trip
                per_day[c.service_date] += d.allowed_units
            assert all(total <= service.mileage.per_day for total in per_day.values())
        if service.passes is not None:
            per_type: dict[str, int] = defaultdict(int)
            for c, d in lines:
                per_type[c.pass_type or ""] += d.allowed_units
            for kind, total in per_type.items():
                assert total <= service.passes.per_episode[kind]


def in_window(per: str, day: date, history: ClientHistory) -> Callable[[date], bool]:
    """SPEC §3.4 windows, written apart from the engine's (which looks lines up by date):
    the day, the Monday-Sunday week, the calendar month, the voucher's validity."""
    if per == "day":
        return lambda d: d == day
    if per == "week":
        monday = day - timedelta(days=day.weekday())
        return lambda d: monday <= d <= monday + timedelta(days=6)
    if per == "month":
        return lambda d: (d.year, d.month) == (day.year, day.month)
    start, end = history.episode_start, history.episode_end
    return lambda d: (start is None or d >= start) and (end is None or d <= end)


def window_total(
    limit: Limit, anchor: ClaimLine, lines: list[tuple[ClaimLine, Decision]], base: ClientHistory
) -> Decimal | int:
    inside = in_window(limit.per, anchor.service_date, base)
    chosen = [
        (c, d)
        for c, d in lines
        if inside(c.service_date)
        and (limit.activity is None or c.activity == limit.activity)
        and (limit.face_to_face is None or bool(c.face_to_face) == limit.face_to_face)
    ]
    if limit.per_line:
        return max((d.allowed_units for c, d in chosen if c is anchor), default=0)
    if limit.amount is not None:
        return sum((d.allowed_amount for _, d in chosen), Decimal("0"))
    return sum(d.allowed_units for _, d in chosen)


def assert_reasons_in_precedence(results: list[tuple[ClaimLine, Decision]]) -> None:
    """Caps that cut one line are listed in PRECEDENCE order; a line denied by a
    whole-line fault names that fault alone (SPEC §3.4)."""
    for _, decision in results:
        ranks = [RANK[reason] for reason in decision.reasons]
        assert ranks == sorted(set(ranks))
        if any(rank < RANK[Reason.INVALID_UNITS] for rank in ranks):
            assert len(ranks) == 1


@settings(max_examples=150, deadline=None)
@given(
    batch=st.lists(claims(), min_size=1, max_size=40, unique_by=lambda c: c.claim_id),
    status=st.sampled_from([None, "level_1", "level_1_residential", "level_2"]),
    order=st.randoms(use_true_random=False),
)
def test_no_cap_window_is_ever_exceeded_whatever_the_order(
    batch: list[ClaimLine], status: str | None, order: object
) -> None:
    base = history(staff=STAFF, status=status, status_from=EPISODE[0])
    results = run(MO, batch, base)
    assert_caps_hold(results, base)
    assert_reasons_in_precedence(results)
    shuffled = list(batch)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert_caps_hold(run(MO, shuffled, base), base)
