"""Fakes of the claims service's adapters for tests that run a worker without the
other services."""

from __future__ import annotations

from collections.abc import Mapping

from services.claims.adapters.fact_owners import Versions


class NoNewerFacts:
    """Owners that have acknowledged nothing the replicas lack (every version 0)."""

    async def versions(self, wanted: Mapping[str, set[str]]) -> Versions:
        return {topic: {} for topic in wanted}


class Owners:
    """Owners answering fixed versions; ``asked`` records every question."""

    def __init__(self, versions: Versions, *, silent: frozenset[str] = frozenset()) -> None:
        self._versions = versions
        self._silent = silent
        self.asked: list[Mapping[str, set[str]]] = []

    async def versions(self, wanted: Mapping[str, set[str]]) -> Versions:
        self.asked.append(wanted)
        return {
            topic: {s: v for s, v in self._versions.get(topic, {}).items() if s in subjects}
            for topic, subjects in wanted.items()
            if topic not in self._silent
        }
