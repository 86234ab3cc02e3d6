"""Asking the owners of the facts claims are decided on for their subject versions.

Eligibility owns clients and providers (``atr.clients.v1``, ``atr.providers.v1``), the
vouchers service owns vouchers (``atr.vouchers.v1``). Each answers
``POST /internal/subject-versions`` (:mod:`services.kit.subject_versions`) signed as
``system``; the claim worker compares the answers with its replicas' counts
(:mod:`services.claims.service_layer.fence`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from contracts.api.versions import SubjectVersions
from contracts.topics import CLIENTS, PROVIDERS, VOUCHERS

log = logging.getLogger(__name__)

Versions = dict[str, dict[str, int]]
"""Per topic, each subject's version (absent subject: 0)."""


@dataclass(frozen=True)
class OwnerAnswer:
    """What the owners answered: per topic asked, the versions of the subjects named
    and the topic's total. A topic whose owner did not answer is absent from both."""

    versions: Versions = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


OWNERS: Mapping[str, str] = {
    CLIENTS.name: "eligibility",
    PROVIDERS.name: "eligibility",
    VOUCHERS.name: "vouchers",
}
"""The service that emits each fact topic claims replicate."""


class FactOwners(Protocol):
    """The owners' current versions of the subjects a batch depends on."""

    async def versions(self, wanted: Mapping[str, set[str]]) -> OwnerAnswer:
        """Per topic asked, the owner's total and the versions of the subjects named (an
        empty set asks for the total only); a topic whose owner did not answer is left
        out (its subjects cannot be confirmed)."""
        ...


class HttpFactOwners:
    """:class:`FactOwners` over HTTP: one request per owning service, concurrently."""

    def __init__(
        self,
        base_urls: Mapping[str, str],
        auth: httpx.Auth,
        timeout_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``base_urls``: each owning service's base URL (keys as in :data:`OWNERS`)."""
        self._clients = {
            service: httpx.AsyncClient(
                base_url=url, auth=auth, timeout=timeout_s, transport=transport
            )
            for service, url in base_urls.items()
        }

    async def versions(self, wanted: Mapping[str, set[str]]) -> OwnerAnswer:
        """Ask each owner about its topics; an owner that fails is left out."""
        by_owner: dict[str, dict[str, list[str]]] = {}
        for topic, subjects in wanted.items():
            by_owner.setdefault(OWNERS[topic], {})[topic] = sorted(subjects)

        async def ask(service: str, subjects: dict[str, list[str]]) -> SubjectVersions | None:
            try:
                answer = await self._clients[service].post(
                    "/internal/subject-versions", json={"subjects": subjects}
                )
            except httpx.HTTPError as exc:
                log.warning("%s did not answer subject versions (%s)", service, type(exc).__name__)
                return None
            if answer.status_code != 200:
                log.warning("%s answered subject versions with %d", service, answer.status_code)
                return None
            return SubjectVersions.model_validate(answer.json())

        found = OwnerAnswer()
        for part in await asyncio.gather(*(ask(s, q) for s, q in by_owner.items())):
            if part is not None:
                found.versions.update(part.versions)
                found.totals.update(part.totals)
        return found

    async def close(self) -> None:
        """Close the HTTP clients."""
        for client in self._clients.values():
            await client.aclose()
