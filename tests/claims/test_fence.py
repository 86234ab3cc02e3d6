"""The fence (README "When a claim is decided"): a batch is decided only on replicas
whose counts reached their owners'; it waits for them, and pends what stays behind or
whose owner does not answer. No broker, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from services.claims.adapters.claim_store import Loaded
from services.claims.domain.model import ClaimLine
from services.claims.service_layer.fence import Confirmed, behind, fenced, is_current, wanted
from tests.claims.fakes import Owners

CLIENTS, PROVIDERS, VOUCHERS = "atr.clients.v1", "atr.providers.v1", "atr.vouchers.v1"

LINE = ClaimLine(
    claim_id="K1",
    provider_id="P1",
    client_id="C1",
    voucher_id="V1",
    service_code="CARE_COORDINATION",
    service_date=date(2026, 9, 14),
    units=1,
    staff_id="S1",
)
OTHER = replace(LINE, claim_id="K2", client_id="C2", voucher_id="V2")


def at(**versions: dict[str, int]) -> Loaded:
    """The batch as loaded with the replicas' ``versions`` per topic (and their sums as
    the replicas' totals)."""
    by_topic: dict[str, dict[str, int]] = {CLIENTS: {}, PROVIDERS: {}, VOUCHERS: {}} | {
        {"clients": CLIENTS, "providers": PROVIDERS, "vouchers": VOUCHERS}[k]: v
        for k, v in versions.items()
    }
    totals = {topic: sum(counts.values()) for topic, counts in by_topic.items()}
    return Loaded(lines=(LINE, OTHER), versions=by_topic, totals=totals)


def test_a_batch_asks_about_its_clients_providers_and_vouchers() -> None:
    assert wanted([LINE, OTHER]) == {
        CLIENTS: {"C1", "C2"},
        PROVIDERS: {"P1"},
        VOUCHERS: {"V1", "V2"},
    }


def test_a_replica_below_its_owner_is_behind_equal_or_above_is_not() -> None:
    owners = {CLIENTS: {"C1": 3, "C2": 1}, PROVIDERS: {"P1": 2}, VOUCHERS: {}}
    assert behind(at(clients={"C1": 2, "C2": 1}, providers={"P1": 5}), owners) == {(CLIENTS, "C1")}
    assert behind(at(clients={"C1": 3, "C2": 1}, providers={"P1": 2}), owners) == frozenset()


def test_an_owner_that_did_not_answer_leaves_its_subjects_unconfirmed() -> None:
    stale = behind(at(), {CLIENTS: {}, PROVIDERS: {}})
    assert stale == {(VOUCHERS, "V1"), (VOUCHERS, "V2")}
    assert not is_current(LINE, stale)
    assert is_current(LINE, frozenset({(CLIENTS, "C2")}))


async def test_the_fence_loads_again_until_the_replica_catches_up() -> None:
    loads = iter([at(), at(clients={"C1": 1}), at(clients={"C1": 2}), at(clients={"C1": 9})])
    owners = Owners({CLIENTS: {"C1": 2}})

    async def load() -> Loaded:
        return next(loads)

    loaded, stale = await fenced(load, owners, wait_s=5)
    assert stale == frozenset()
    assert loaded.versions[CLIENTS] == {"C1": 2}  # the third load, not a later one
    # asked twice, after the batch was loaded: the totals, then the clients behind
    assert owners.asked == [
        {CLIENTS: set(), PROVIDERS: set(), VOUCHERS: set()},
        {CLIENTS: {"C1", "C2"}},
    ]


async def test_totals_reached_confirm_every_subject_without_naming_them() -> None:
    owners = Owners({CLIENTS: {"C1": 2, "C9": 5}})  # total 7

    async def load() -> Loaded:
        replica = at(clients={"C1": 2})
        return replica.__class__(**{**replica.__dict__, "totals": {CLIENTS: 7}})

    _, stale = await fenced(load, owners, wait_s=5)
    assert stale == frozenset()
    assert len(owners.asked) == 1


async def test_a_total_behind_because_of_other_subjects_confirms_these_by_name() -> None:
    owners = Owners({CLIENTS: {"C1": 2, "C9": 5}})  # C9 not in the batch

    async def load() -> Loaded:
        return at(clients={"C1": 2})  # total 2 < 7

    _, stale = await fenced(load, owners, wait_s=5)
    assert stale == frozenset()
    assert owners.asked[-1] == {CLIENTS: {"C1", "C2"}}


async def test_what_stays_behind_after_the_wait_is_returned_stale() -> None:
    owners = Owners({PROVIDERS: {"P1": 1}})

    async def load() -> Loaded:
        return at()

    _, stale = await fenced(load, owners, wait_s=0.05)
    assert stale == {(PROVIDERS, "P1")}


async def test_an_owner_that_does_not_answer_is_not_waited_for() -> None:
    calls = 0

    async def load() -> Loaded:
        nonlocal calls
        calls += 1
        return at()

    _, stale = await fenced(load, Owners({}, silent=frozenset({VOUCHERS})), wait_s=30)
    assert stale == {(VOUCHERS, "V1"), (VOUCHERS, "V2")}
    assert calls == 1


async def test_a_batch_with_nothing_new_asks_nobody() -> None:
    owners = Owners({})

    async def load() -> Loaded:
        return Loaded(lines=())

    assert (await fenced(load, owners, wait_s=5))[1] == frozenset()
    assert owners.asked == []


async def test_a_batch_accepted_before_the_last_confirmation_asks_nobody() -> None:
    confirmed = Confirmed(timedelta(seconds=1))
    owners = Owners({})
    early = replace(LINE, submitted_at=datetime.now(UTC) - timedelta(seconds=10))

    async def load() -> Loaded:
        return Loaded(lines=(early,), totals={CLIENTS: 0, PROVIDERS: 0, VOUCHERS: 0})

    await fenced(load, owners, 5, confirmed)  # first batch: asks, confirms
    assert len(owners.asked) == 1
    assert confirmed.at is not None
    await fenced(load, owners, 5, confirmed)  # accepted before that: nothing asked
    assert len(owners.asked) == 1

    late = replace(LINE, submitted_at=datetime.now(UTC))  # within the skew: asks

    async def load_late() -> Loaded:
        return Loaded(lines=(early, late), totals={CLIENTS: 0, PROVIDERS: 0, VOUCHERS: 0})

    await fenced(load_late, owners, 5, confirmed)
    assert len(owners.asked) == 2


async def test_a_replica_found_behind_confirms_nothing() -> None:
    confirmed = Confirmed(timedelta(seconds=0))
    early = replace(LINE, submitted_at=datetime.now(UTC) - timedelta(seconds=10))

    async def load() -> Loaded:
        return Loaded(lines=(early,), totals={CLIENTS: 0, PROVIDERS: 0, VOUCHERS: 0})

    _, stale = await fenced(load, Owners({CLIENTS: {"C1": 1}}), 0.01, confirmed)
    assert stale == {(CLIENTS, "C1")}
    assert confirmed.at is None
    assert not confirmed.covers([early])
    assert not Confirmed(timedelta(0), datetime.now(UTC)).covers([LINE])  # no submitted_at
