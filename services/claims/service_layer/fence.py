"""The fence: a claim is decided only on replicas that hold every fact acknowledged
before it (README "When a claim is decided"; SPEC §3.4 read-your-writes).

Every versioned fact (:attr:`contracts.envelope.Event.versioned`) is counted per
subject and per topic by its owner in the transaction that commits it, and by the
claims replica in the transaction that applies it (:mod:`services.kit.subject_versions`).
After a batch of claims is fetched and its state loaded, the worker asks the owners:
every fact acknowledged to anyone before a claim was accepted is in their answers.
First the topics' totals only: a replica whose total (read in the load, before the
question) has reached its owner's holds every fact the owner had committed, so nothing
else is asked — the usual case, facts being rare next to claims. For a topic behind,
the owner is asked for the versions of the batch's subjects; where a replica's count is
lower, the worker waits (the replica consumers run beside it) up to
``claim_fact_wait_s``; lines still behind then, or whose owner did not answer, are
pended and decided later by the sweeper, through the same fence. Never deny, approve,
cap or choose a reason on an older view.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.topics import CLIENTS, PROVIDERS, VOUCHERS
from services.claims.adapters.claim_store import Loaded
from services.claims.adapters.fact_owners import FactOwners, Versions
from services.claims.domain.model import ClaimLine

Stale = frozenset[tuple[str, str]]
"""(topic, subject) pairs whose replica is not confirmed current."""

NOTHING_STALE: Stale = frozenset()


def wanted(lines: Iterable[ClaimLine]) -> dict[str, set[str]]:
    """The subjects ``lines`` are decided on, per fact topic."""
    subjects: dict[str, set[str]] = {
        CLIENTS.name: set(),
        PROVIDERS.name: set(),
        VOUCHERS.name: set(),
    }
    for line in lines:
        subjects[CLIENTS.name].add(line.client_id)
        subjects[PROVIDERS.name].add(line.provider_id)
        subjects[VOUCHERS.name].add(line.voucher_id)
    return subjects


FACT_TOPICS = (CLIENTS.name, PROVIDERS.name, VOUCHERS.name)


def topics_behind(loaded: Loaded, totals: Mapping[str, int]) -> set[str]:
    """The fact topics whose replica total is below the owner's, or unanswered."""
    return {
        topic
        for topic in FACT_TOPICS
        if topic not in totals or totals[topic] > loaded.totals.get(topic, 0)
    }


def behind(loaded: Loaded, owners: Versions, topics: Iterable[str] = FACT_TOPICS) -> Stale:
    """The subjects of ``loaded.lines`` on ``topics`` whose replica count is below the
    owner's, or whose owner did not answer."""
    stale: set[tuple[str, str]] = set()
    subjects_of = wanted(loaded.lines)
    for topic in topics:
        subjects = subjects_of[topic]
        answered = owners.get(topic)
        replica = loaded.versions.get(topic, {})
        for subject in subjects:
            if answered is None or answered.get(subject, 0) > replica.get(subject, 0):
                stale.add((topic, subject))
    return frozenset(stale)


def is_current(line: ClaimLine, stale: Stale) -> bool:
    """Whether every replica ``line`` depends on is confirmed current."""
    return not stale or not (
        (CLIENTS.name, line.client_id) in stale
        or (PROVIDERS.name, line.provider_id) in stale
        or (VOUCHERS.name, line.voucher_id) in stale
    )


@dataclass
class Confirmed:
    """When a worker last found every replica at its owner's total (the question's
    send time, this process's clock). Every fact acknowledged before then was in that
    replica, and replicas only grow: a claim accepted earlier — by more than the
    allowed clock skew between the gateway and this process — needs no question.
    Under load a batch holds claims accepted a while ago, so most batches ask nothing.
    """

    skew: timedelta
    at: datetime | None = None

    def covers(self, lines: Iterable[ClaimLine]) -> bool:
        """Whether every line was accepted before the last confirmation, skew allowed."""
        if self.at is None:
            return False
        limit = self.at - self.skew
        return all(line.submitted_at is not None and line.submitted_at < limit for line in lines)

    def advance(self, asked_at: datetime) -> None:
        """Record a confirmation: the replicas held every fact committed by ``asked_at``."""
        if self.at is None or asked_at > self.at:
            self.at = asked_at


async def fenced(
    load: Callable[[], Awaitable[Loaded]],
    owners: FactOwners,
    wait_s: float,
    confirmed: Confirmed | None = None,
) -> tuple[Loaded, Stale]:
    """Load, ask the owners, and while some replica is behind, load again (up to
    ``wait_s``); the last load and what is still behind.

    ``load`` must see commits made after it was first called (a new read each time),
    else pass ``wait_s=0``. Nothing is waited for when an owner did not answer. With
    ``confirmed`` (a worker's), a batch whose every line was accepted before the last
    time the replicas were found current is not asked about again.
    """
    loaded = await load()
    if not loaded.lines:
        return loaded, NOTHING_STALE
    if confirmed is not None and confirmed.covers(loaded.lines):
        return loaded, NOTHING_STALE
    asked_at = datetime.now(UTC)
    totals = await owners.versions({topic: set() for topic in FACT_TOPICS})
    topics = topics_behind(loaded, totals.totals)
    if not topics:
        if confirmed is not None:
            confirmed.advance(asked_at)
        return loaded, NOTHING_STALE
    subjects = wanted(loaded.lines)
    answer = (await owners.versions({topic: subjects[topic] for topic in topics})).versions
    stale = behind(loaded, answer, topics)
    deadline = time.monotonic() + wait_s
    delay = 0.005
    while stale and all(topic in answer for topic, _ in stale) and time.monotonic() < deadline:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
        loaded = await load()
        stale = behind(loaded, answer, topics)
    return loaded, stale
