"""``adjudicate``: one pure, typed decision per claim line (SPEC §3.3, §3.4).

Precedence: every pair of reasons that can apply to one line, built by combining one
fault at a time, is decided by :data:`PRECEDENCE` (table-driven). Read-your-writes: the
vouchers service's answer decides when the local view may be behind. Purity: the
arguments are unchanged and the same arguments give the same decision. No broker, no
database.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import combinations
from types import MappingProxyType
from typing import Any

import pytest

from contracts.reasons import Reason
from programs.loader import load_catalog
from services.claims.adapters.claim_store import Loaded
from services.claims.domain.adjudicate import PRECEDENCE, adjudicate, needs_lookup
from services.claims.domain.facts import (
    UNREACHABLE,
    AuthorisedService,
    Client,
    Facts,
    History,
    Provider,
    Voucher,
    VoucherUsage,
)
from services.claims.domain.model import (
    ClaimLine,
    PriorLine,
    PriorLines,
    StaffRecord,
    StatusPeriod,
)
from services.claims.domain.precedence import RANK
from services.claims.service_layer.adjudication import decide_batch, vouchers_to_ask

MO = load_catalog("missouri_atr2")
SERVICE = "RECOVERY_MENTORING_IND"
UNKNOWN = "NOT_A_SERVICE"
TODAY = date(2026, 9, 15)
DAY = date(2026, 9, 14)
SUBMITTED = datetime(2026, 9, 15, 12, tzinfo=UTC)
GRADUATE = StaffRecord("S1", frozenset({"addictions_academy_graduate"}))

LINE = ClaimLine(
    claim_id="K1",
    provider_id="P1",
    client_id="C1",
    voucher_id="V1",
    service_code=SERVICE,
    service_date=DAY,
    units=4,
    staff_id="S1",
    start_time=time(9),
    end_time=time(10),
    client_signature=True,
    face_to_face=True,
    claim_ref="R1",
    submitted_at=SUBMITTED,
)
VOUCHER = Voucher(
    voucher_id="V1",
    client_id="C1",
    status="active",
    valid_from=date(2026, 9, 1),
    valid_until=date(2027, 8, 31),
    authorised=MappingProxyType(
        {
            SERVICE: AuthorisedService(SERVICE, units=40),
            UNKNOWN: AuthorisedService(UNKNOWN, units=40),
        }
    ),
    provider_id="P1",
    admitted_on=date(2026, 9, 2),
    admission_recorded_at=datetime(2026, 9, 2, tzinfo=UTC),
)
PROVIDER = Provider("P1", "active", frozenset({SERVICE}), MappingProxyType({"S1": GRADUATE}))
CLIENT = Client(eligible=True)


def prior(claim_id: str, code: str, day: date, units: int, start: time, end: time) -> PriorLine:
    return PriorLine(claim_id, "P1", "V1", code, day, units, Decimal(5 * units), start, end)


def build(patch: dict[str, Any]) -> tuple[ClaimLine, Facts, History]:
    """The base line (approved in full) with ``patch`` applied: keys ``area.field``
    (areas ``line``, ``voucher``, ``provider``, ``client``, ``facts``), ``voucher``
    (None: unknown everywhere), ``staff``, ``prior.<name>`` (an earlier line) and
    ``usage``. The vouchers service agrees with the local voucher."""
    fields: dict[str, dict[str, Any]] = {}
    for key, value in patch.items():
        area, _, name = key.partition(".")
        if name and area != "prior":
            fields.setdefault(area, {})[name] = value
    line = replace(LINE, **fields.get("line", {}))
    voucher = (
        None
        if patch.get("voucher", VOUCHER) is None
        else replace(VOUCHER, **fields.get("voucher", {}))
    )
    facts = Facts(
        today=fields.get("facts", {}).get("today", TODAY),
        voucher=voucher,
        provider=replace(PROVIDER, **fields.get("provider", {})),
        staff=patch.get("staff", GRADUATE),
        client=replace(CLIENT, **fields.get("client", {})),
        authoritative=voucher,
    )
    lines = PriorLines(v for k, v in sorted(patch.items()) if k.startswith("prior."))
    return line, facts, History(lines, patch.get("usage", VoucherUsage()))


def decide(patch: dict[str, Any]) -> tuple[Reason, ...]:
    return adjudicate(*build(patch), MO).reasons


WHOLE_LINE: dict[Reason, dict[str, Any]] = {
    Reason.FUTURE_DATE: {"facts.today": DAY - timedelta(days=1)},
    Reason.TIMELY_FILING: {"line.filed_on": DAY + timedelta(days=MO.timely_filing_days + 1)},
    Reason.VOUCHER_NOT_FOUND: {"voucher": None},
    Reason.VOUCHER_CLOSED: {"voucher.status": "closed", "voucher.closed_on": DAY},
    Reason.VOUCHER_EXPIRED: {"voucher.valid_until": DAY - timedelta(days=1)},
    Reason.PROVIDER_NOT_SELECTED: {"voucher.provider_id": "P2"},
    Reason.VOUCHER_NOT_ACTIVE: {"voucher.discharged_on": DAY - timedelta(days=1)},
    Reason.PROVIDER_NOT_ELIGIBLE: {"provider.status": "suspended"},
    Reason.SERVICE_NOT_AUTHORIZED: {"voucher.authorised": MappingProxyType({})},
    Reason.CLIENT_NOT_ELIGIBLE: {"client.eligible": False},
    Reason.STAFF_NOT_QUALIFIED: {"staff": None},
    Reason.DUPLICATE_CLAIM: {"prior.same": prior("K0", SERVICE, DAY, 1, time(9), time(9, 15))},
    Reason.DOCUMENTATION_MISSING: {"line.client_signature": False},
    Reason.GROUP_SIZE: {"line.group_size": 3},
    Reason.NOT_BILLABLE: {"line.service_code": UNKNOWN},
    Reason.CONFLICTING_SERVICE: {
        "prior.drop_in": prior("K9", "DROP_IN_CENTER", DAY, 1, time(9, 30), time(11))
    },
}
"""One way to give the base line each whole-line fault, and nothing else."""

CAPS: dict[Reason, dict[str, Any]] = {
    Reason.INVALID_UNITS: {"line.end_time": time(9, 45)},
    Reason.LEVEL_ONE_LIMIT: {
        "client.statuses": (StatusPeriod("level_1", date(2026, 9, 1)),),
        "prior.level_one": prior("K5", SERVICE, DAY - timedelta(days=3), 2, time(9), time(9, 30)),
    },
    Reason.VOUCHER_UNITS_EXHAUSTED: {"usage": VoucherUsage(units={SERVICE: 39})},
    Reason.VOUCHER_VALUE_EXHAUSTED: {"voucher.max_value": Decimal("2.50")},
}
"""One way to cut the base line's units by each cap, and nothing else."""

CANNOT_CO_OCCUR = {
    # no voucher: nothing about its state, dates, provider or services can be wrong
    *(
        frozenset({Reason.VOUCHER_NOT_FOUND, other})
        for other in (
            Reason.VOUCHER_CLOSED,
            Reason.VOUCHER_EXPIRED,
            Reason.PROVIDER_NOT_SELECTED,
            Reason.VOUCHER_NOT_ACTIVE,
            Reason.SERVICE_NOT_AUTHORIZED,
        )
    ),
    # a service the catalog does not have or price has no other catalog rule to break
    *(
        frozenset({Reason.NOT_BILLABLE, other})
        for other in (
            Reason.DUPLICATE_CLAIM,
            Reason.DOCUMENTATION_MISSING,
            Reason.GROUP_SIZE,
            Reason.CONFLICTING_SERVICE,
        )
    ),
}
"""Pairs of whole-line reasons the base line cannot be given together this way."""


def test_each_fault_alone_gives_its_reason() -> None:
    assert decide({}) == ()
    for reason, patch in {**WHOLE_LINE, **CAPS}.items():
        assert decide(patch) == (reason,), reason


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pair
        for pair in combinations(PRECEDENCE, 2)
        if pair[0] in WHOLE_LINE
        and pair[1] in WHOLE_LINE
        and frozenset(pair) not in CANNOT_CO_OCCUR
    ],
    ids=lambda reason: str(reason),
)
def test_a_whole_line_fault_wins_over_every_later_one(first: Reason, second: Reason) -> None:
    """Both faults, whichever way round they were introduced: the earlier one in
    PRECEDENCE is the line's only reason."""
    assert RANK[first] < RANK[second]
    patch = {**WHOLE_LINE[first], **WHOLE_LINE[second]}
    assert len(patch) == len(WHOLE_LINE[first]) + len(WHOLE_LINE[second])
    assert decide(patch) == (first,)


@pytest.mark.parametrize(("first", "second"), list(combinations(CAPS, 2)), ids=str)
def test_caps_that_cut_one_line_are_listed_in_precedence_order(
    first: Reason, second: Reason
) -> None:
    assert decide({**CAPS[first], **CAPS[second]}) == tuple(
        sorted((first, second), key=RANK.__getitem__)
    )


@pytest.mark.parametrize("fault", list(WHOLE_LINE), ids=str)
def test_a_whole_line_fault_wins_over_every_cap(fault: Reason) -> None:
    patch = {**{k: v for cap in CAPS.values() for k, v in cap.items()}, **WHOLE_LINE[fault]}
    assert decide(patch) == (fault,)


def test_every_reason_has_a_place_and_the_tables_cover_all_but_the_unused_one() -> None:
    assert sorted(PRECEDENCE) == sorted(Reason)
    assert set(WHOLE_LINE) | set(CAPS) | {
        # the windows, level one aside, mileage, passes and dollars are caps of other
        # services: their order is checked by tests/programs/test_properties.py
        Reason.DAILY_LIMIT,
        Reason.WEEKLY_LIMIT,
        Reason.MONTHLY_LIMIT,
        Reason.EPISODE_LIMIT,
        Reason.MILEAGE_LIMIT,
        Reason.PASS_LIMIT,
        Reason.DOLLAR_CAP,
        # no rule of any catalog names it yet
        Reason.CONCURRENT_PROVIDER,
    } == set(Reason)


# Read-your-writes (SPEC §3.4)

PENDING_SELECTION = replace(VOUCHER, admitted_on=None, admission_recorded_at=None)


def lag(local: Voucher | None, truth: object) -> Facts:
    return Facts(
        today=TODAY,
        voucher=local,
        provider=PROVIDER,
        staff=GRADUATE,
        client=CLIENT,
        authoritative=truth,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("local", [None, PENDING_SELECTION, replace(VOUCHER, provider_id=None)])
def test_admitted_before_submission_is_decided_on_the_vouchers_answer(
    local: Voucher | None,
) -> None:
    truth = replace(VOUCHER, admission_recorded_at=SUBMITTED - timedelta(seconds=2))
    assert needs_lookup(LINE, lag(local, UNREACHABLE))
    decision = adjudicate(LINE, lag(local, truth), History(), MO)
    assert (decision.outcome, decision.allowed_units, decision.allowed_amount) == (
        "approved",
        4,
        Decimal("20.00"),
    )


@pytest.mark.parametrize("local", [None, PENDING_SELECTION])
def test_admitted_after_submission_is_denied_as_not_active(local: Voucher | None) -> None:
    truth = replace(VOUCHER, admission_recorded_at=SUBMITTED + timedelta(seconds=5))
    decision = adjudicate(LINE, lag(local, truth), History(), MO)
    assert (decision.outcome, decision.reasons) == ("denied", (Reason.VOUCHER_NOT_ACTIVE,))


def test_the_vouchers_answer_chooses_the_reason() -> None:
    """Unknown locally, another provider selected in truth: PROVIDER_NOT_SELECTED, not
    the VOUCHER_NOT_FOUND of the older view."""
    truth = replace(VOUCHER, provider_id="P2")
    decision = adjudicate(LINE, lag(None, truth), History(), MO)
    assert decision.reasons == (Reason.PROVIDER_NOT_SELECTED,)


@pytest.mark.parametrize("local", [None, PENDING_SELECTION])
def test_unreachable_vouchers_service_pends_instead_of_denying(local: Voucher | None) -> None:
    decision = adjudicate(LINE, lag(local, UNREACHABLE), History(), MO)
    assert (decision.outcome, decision.pending, decision.reasons) == ("pending", True, ())
    assert (decision.allowed_units, decision.denied_units) == (0, 0)


def test_unknown_to_the_vouchers_service_too_is_denied_not_found() -> None:
    decision = adjudicate(LINE, lag(None, None), History(), MO)
    assert decision.reasons == (Reason.VOUCHER_NOT_FOUND,)


def test_local_state_fine_needs_no_lookup() -> None:
    facts = lag(VOUCHER, UNREACHABLE)
    assert not needs_lookup(LINE, facts)
    assert adjudicate(LINE, facts, History(), MO).outcome == "approved"


def test_an_earlier_fault_needs_no_lookup() -> None:
    """A future date or a closed voucher comes before any lag reason: deny, don't ask."""
    future = replace(lag(None, UNREACHABLE), today=DAY - timedelta(days=1))
    assert not needs_lookup(LINE, future)
    assert adjudicate(LINE, future, History(), MO).reasons == (Reason.FUTURE_DATE,)


# Purity


def test_arguments_are_unchanged_and_the_answer_repeats() -> None:
    patch = {**CAPS[Reason.LEVEL_ONE_LIMIT], **CAPS[Reason.VOUCHER_UNITS_EXHAUSTED]}
    line, facts, history = build(patch)
    # line and facts are frozen, their mappings read-only: their repr is their value
    before = (repr(line), repr(facts), list(history.lines), copy.deepcopy(history.usage))
    first = adjudicate(line, facts, history, MO)
    assert adjudicate(line, facts, history, MO) == first
    assert (repr(line), repr(facts), list(history.lines), history.usage) == before
    assert len(history.lines) == 1


# The batch around it


def loaded(*lines: ClaimLine, pending: frozenset[str] = frozenset()) -> Loaded:
    return Loaded(
        lines=lines,
        vouchers={"V1": PENDING_SELECTION},
        providers={"P1": PROVIDER},
        clients={"C1": CLIENT},
        pending_clients=pending,
    )


def test_a_client_with_a_pending_line_keeps_later_lines_behind_it() -> None:
    later = replace(LINE, claim_id="K2", service_date=DAY + timedelta(days=1))
    batch = loaded(LINE, later)
    assert vouchers_to_ask(batch, TODAY) == {"V1"}
    decided = decide_batch(batch, MO, today=TODAY, authoritative={"V1": UNREACHABLE})
    assert [d.outcome for _, d in decided] == ["pending", "pending"]
    assert vouchers_to_ask(loaded(LINE, pending=frozenset({"C1"})), TODAY) == set()


def test_lines_allowed_earlier_in_a_batch_count_for_later_ones() -> None:
    truth = replace(VOUCHER, authorised=MappingProxyType({SERVICE: AuthorisedService(SERVICE, 6)}))
    later = replace(LINE, claim_id="K2", service_date=DAY - timedelta(days=1))
    batch = replace(loaded(LINE, later), vouchers={"V1": truth})
    decided = decide_batch(batch, MO, today=TODAY, authoritative={})
    assert [(d.allowed_units, d.reasons) for _, d in decided] == [
        (4, ()),
        (2, (Reason.VOUCHER_UNITS_EXHAUSTED,)),
    ]
    assert batch.histories == {}


@pytest.mark.parametrize(
    "patch",
    [{}, WHOLE_LINE[Reason.STAFF_NOT_QUALIFIED], CAPS[Reason.LEVEL_ONE_LIMIT]],
    ids=["approved", "staff", "level_one"],
)
def test_facts_not_confirmed_current_pend_whatever_they_say(patch: dict[str, Any]) -> None:
    line, facts, history = build(patch)
    assert adjudicate(line, facts, history, MO).outcome != "pending"
    assert adjudicate(line, replace(facts, current=False), history, MO).pending


def test_the_fence_pends_only_the_lines_of_stale_subjects() -> None:
    other = replace(LINE, claim_id="K2", client_id="C2", voucher_id="V2")
    batch = replace(
        loaded(LINE, other),
        vouchers={"V1": VOUCHER, "V2": replace(VOUCHER, voucher_id="V2", client_id="C2")},
        clients={"C1": CLIENT, "C2": CLIENT},
    )
    stale = frozenset({("atr.clients.v1", "C2")})
    decided = decide_batch(batch, MO, today=TODAY, authoritative={}, stale=stale)
    assert [d.outcome for _, d in decided] == ["approved", "pending"]
