"""A client's allowed lines indexed by date (``PriorLines``): the lookups the rules use
answer exactly what a scan of every line would, and an overlay never changes its base."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.claims.domain.model import ClaimLine, PriorLine, PriorLines

DAY0 = date(2026, 9, 1)


def line(n: int, day: int, *, start: int = 9, code: str = "SVC", provider: str = "P1") -> PriorLine:
    return PriorLine(
        claim_id=f"K{n}",
        provider_id=provider,
        voucher_id="V1",
        service_code=code,
        service_date=DAY0 + timedelta(days=day),
        allowed_units=1,
        allowed_amount=Decimal("5.00"),
        start_time=time(start),
    )


lines_strategy = st.lists(st.tuples(st.integers(0, 60), st.integers(8, 10)), max_size=40).map(
    lambda spec: [line(n, day, start=start) for n, (day, start) in enumerate(spec)]
)


@settings(max_examples=200, deadline=None)
@given(
    base=lines_strategy,
    own=lines_strategy,
    first=st.none() | st.integers(-5, 65),
    length=st.none() | st.integers(-2, 70),
)
def test_between_answers_what_a_scan_answers(
    base: list[PriorLine], own: list[PriorLine], first: int | None, length: int | None
) -> None:
    """Whether the window is walked day by day (short windows) or the lines are scanned
    (long ones, open ends), the same lines come back; an overlay sees base and own."""
    own = [PriorLine(**{**line.__dict__, "claim_id": f"O{k}"}) for k, line in enumerate(own)]
    lines = PriorLines(own, base=PriorLines(base))
    start = None if first is None else DAY0 + timedelta(days=first)
    end = None if start is None or length is None else start + timedelta(days=length)
    expected = sorted(
        p.claim_id
        for p in [*base, *own]
        if (start is None or p.service_date >= start) and (end is None or p.service_date <= end)
    )
    assert sorted(p.claim_id for p in lines.between(start, end)) == expected
    assert len(lines) == len(base) + len(own)
    for day in range(61):
        on = DAY0 + timedelta(days=day)
        assert [p.claim_id for p in lines.on(on)] == [
            p.claim_id for p in [*base, *own] if p.service_date == on
        ]


def test_every_window_of_a_dense_history_matches_a_scan() -> None:
    """A line on each of 60 days, in base and overlay: windows shorter than the history
    are walked day by day, longer ones scanned; both agree with a filter, at every edge."""
    every_day = [line(n, n) for n in range(60)]
    lines = PriorLines(every_day[30:], base=PriorLines(every_day[:30]))
    for first in range(-3, 63):
        for length in range(-1, 66):
            start = DAY0 + timedelta(days=first)
            end = start + timedelta(days=length)
            expected = [p.claim_id for p in every_day if start <= p.service_date <= end]
            assert sorted(p.claim_id for p in lines.between(start, end)) == sorted(expected)


def test_an_overlay_adds_to_itself_only() -> None:
    """A batch's lines go to its overlay; the cached history it reads stays as it was."""
    cached = PriorLines([line(1, 0), line(2, 1)])
    batch = PriorLines(base=cached)
    batch.append(line(3, 0))
    assert [p.claim_id for p in batch.on(DAY0)] == ["K1", "K3"]
    assert [p.claim_id for p in cached.on(DAY0)] == ["K1"]
    assert len(cached) == 2
    assert [p.claim_id for p in batch] == ["K1", "K2", "K3"]


def claim(claim_id: str, day: int, start: int | None, *, provider: str = "P1") -> ClaimLine:
    return ClaimLine(
        claim_id=claim_id,
        provider_id=provider,
        client_id="C1",
        voucher_id="V1",
        service_code="SVC",
        service_date=DAY0 + timedelta(days=day),
        units=1,
        staff_id="S1",
        start_time=None if start is None else time(start),
    )


def test_a_duplicate_is_the_same_provider_service_date_and_start_time() -> None:
    """DUPLICATE_CLAIM's key, looked up on the claim's date, base before overlay."""
    lines = PriorLines([line(1, 0, start=9)], base=PriorLines([line(0, 0, start=9)]))
    assert lines.duplicate_of(claim("NEW", 0, 9)) == "K0"
    assert lines.duplicate_of(claim("K0", 0, 9)) == "K1"  # never itself
    assert lines.duplicate_of(claim("NEW", 0, 10)) is None
    assert lines.duplicate_of(claim("NEW", 1, 9)) is None
    assert lines.duplicate_of(claim("NEW", 0, 9, provider="P2")) is None
    assert lines.duplicate_of(claim("NEW", 0, None)) is None
