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
from typing import Protocol

import httpx

from contracts.api.versions import SubjectVersions
from contracts.topics import CLIENTS, PROVIDERS, VOUCHERS

log = logging.getLogger(__name__)

Versions = dict[str, dict[str, int]]
"""Per topic, each subject's version (absent subject: 0)."""

OWNERS: Mapping[str, str] = {
    CLIENTS.name: "eligibility",
    PROVIDERS.name: "eligibility",
    VOUCHERS.name: "vouchers",
}
"""The service that emits each fact topic claims replicate."""


class FactOwners(Protocol):
    """The owners' current versions of the subjects a batch depends on."""

    async def versions(self, wanted: Mapping[str, set[str]]) -> Versions:
        """Per topic asked, the owner's versions; a topic whose owner did not answer is
        left out (its subjects cannot be confirmed)."""
        ...


class HttpFactOwners:
    """:class:`FactOwners` over HTTP: one request per owning service, concurrently."""

    def __init__(
        self, base_urls: Mapping[str, str], auth: httpx.Auth, timeout_s: float = 2.0
    ) -> None:
        """``base_urls``: each owning service's base URL (keys as in :data:`OWNERS`)."""
        self._clients = {
            service: httpx.AsyncClient(base_url=url, auth=auth, timeout=timeout_s)
            for service, url in base_urls.items()
        }

    async def versions(self, wanted: Mapping[str, set[str]]) -> Versions:
        """Ask each owner about its topics; an owner that fails is left out."""
        by_owner: dict[str, dict[str, list[str]]] = {}
        for topic, subjects in wanted.items():
            if subjects:
                by_owner.setdefault(OWNERS[topic], {})[topic] = sorted(subjects)

        async def ask(service: str, subjects: dict[str, list[str]]) -> Versions:
            try:
                answer = await self._clients[service].post(
                    "/internal/subject-versions", json={"subjects": subjects}
                )
            except httpx.HTTPError as exc:
                log.warning("%s did not answer subject versions (%s)", service, type(exc).__name__)
                return {}
            if answer.status_code != 200:
                log.warning("%s answered subject versions with %d", service, answer.status_code)
                return {}
            return SubjectVersions.model_validate(answer.json()).versions

        found: Versions = {topic: {} for topic, subjects in wanted.items() if not subjects}
        for part in await asyncio.gather(*(ask(s, q) for s, q in by_owner.items())):
            found.update(part)
        return found

    async def close(self) -> None:
        """Close the HTTP clients."""
        for client in self._clients.values():
            await client.aclose()
