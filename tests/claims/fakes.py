"""Fakes of the claims service's adapters for tests that run a worker without the
other services."""

from __future__ import annotations

from collections.abc import Mapping

from services.claims.adapters.fact_owners import OwnerAnswer, Versions


class NoNewerFacts:
    """Owners that have acknowledged nothing the replicas lack (every count 0)."""

    async def versions(self, wanted: Mapping[str, set[str]]) -> OwnerAnswer:
        return OwnerAnswer(
            versions={topic: {} for topic in wanted}, totals=dict.fromkeys(wanted, 0)
        )


class Owners:
    """Owners answering fixed versions (their totals the sums, unless given);
    ``asked`` records every question."""

    def __init__(
        self,
        versions: Versions,
        *,
        totals: dict[str, int] | None = None,
        silent: frozenset[str] = frozenset(),
    ) -> None:
        self._versions = versions
        self._totals = totals
        self._silent = silent
        self.asked: list[Mapping[str, set[str]]] = []

    async def versions(self, wanted: Mapping[str, set[str]]) -> OwnerAnswer:
        self.asked.append(wanted)
        topics = [topic for topic in wanted if topic not in self._silent]
        return OwnerAnswer(
            versions={
                topic: {
                    s: v for s, v in self._versions.get(topic, {}).items() if s in wanted[topic]
                }
                for topic in topics
            },
            totals={
                topic: (self._totals or {}).get(topic, sum(self._versions.get(topic, {}).values()))
                for topic in topics
            },
        )
