"""Asking the vouchers service for a voucher's current state (SPEC §3.4 read-your-writes).

:class:`VoucherLookup` is what the claim worker and the pending sweeper need;
:class:`HttpVoucherLookup` asks ``GET /vouchers/{id}`` of the vouchers service, signed
as ``system`` (``services.kit.caller.CallerAuth``: the vouchers service refuses
unsigned callers).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import httpx

from contracts.vouchers import VoucherSnapshot
from services.claims.adapters.claim_lines import voucher_from_snapshot
from services.claims.domain.facts import UNREACHABLE, Authoritative

log = logging.getLogger(__name__)


class VoucherLookup(Protocol):
    """The vouchers service's own answer on vouchers."""

    async def fetch(self, voucher_ids: set[str]) -> dict[str, Authoritative]:
        """Each voucher's state, ``None`` when unknown, ``UNREACHABLE`` on failure."""
        ...


class HttpVoucherLookup:
    """:class:`VoucherLookup` over HTTP, one request per voucher, concurrently."""

    def __init__(self, base_url: str, auth: httpx.Auth, timeout_s: float = 2.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=timeout_s)

    async def fetch(self, voucher_ids: set[str]) -> dict[str, Authoritative]:
        """Each voucher's state, ``None`` when unknown (404), ``UNREACHABLE`` on failure."""

        async def one(voucher_id: str) -> tuple[str, Authoritative]:
            try:
                answer = await self._client.get(f"/vouchers/{voucher_id}")
            except httpx.HTTPError:
                return voucher_id, UNREACHABLE
            if answer.status_code == 404:
                return voucher_id, None
            if answer.status_code != 200:
                # 401/403 mean the internal key differs between services: say so, the
                # lines stay pending until it is fixed
                log.warning("voucher lookup answered %d; line stays pending", answer.status_code)
                return voucher_id, UNREACHABLE
            return voucher_id, voucher_from_snapshot(VoucherSnapshot.model_validate(answer.json()))

        return dict(await asyncio.gather(*(one(v) for v in sorted(voucher_ids))))

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
