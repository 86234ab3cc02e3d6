"""Pending lines: decided when their voucher's state arrives (SPEC §3.4 event lag).

A line is pended when this worker has not yet seen the admission the vouchers service
already acknowledged, or when a replica it depends on stayed behind its owner (the
fence, :mod:`services.claims.service_layer.fence`). Two paths decide it later, both
through the fence:

- the voucher consumer, as soon as a newer snapshot of the voucher arrives — it never
  denies for voucher state (it might still be behind), it only approves or denies on
  other grounds;
- the sweeper, every ``claim_pending_sweep_s``, which asks the vouchers service again
  and denies only what the vouchers service itself says is not chargeable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from contracts.topics import VOUCHERS
from contracts.vouchers import (
    VoucherActivated,
    VoucherBalanceChanged,
    VoucherClosed,
    VoucherDischarged,
    VoucherExpired,
    VoucherExtended,
    VoucherIssued,
    VoucherProviderSelected,
)
from programs.catalog import Catalog
from services.claims.adapters.claim_store import ClaimStore
from services.claims.adapters.fact_owners import FactOwners
from services.claims.adapters.vouchers import VoucherLookup
from services.claims.domain.facts import Authoritative
from services.claims.service_layer.adjudication import decide_batch
from services.claims.service_layer.fence import fenced
from services.claims.service_layer.replicas import apply_voucher_snapshot
from services.claims.settings import ClaimsSettings
from services.kit.clock import Clock
from services.kit.runtime import BackgroundTask, ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

VoucherChange = (
    VoucherIssued
    | VoucherProviderSelected
    | VoucherActivated
    | VoucherExtended
    | VoucherClosed
    | VoucherExpired
    | VoucherDischarged
    | VoucherBalanceChanged
)


async def decide_pending(
    store: ClaimStore,
    uow: UnitOfWork,
    client_ids: set[str],
    catalog: Catalog,
    *,
    today: date,
    now: datetime,
    authoritative: Mapping[str, Authoritative],
    owners: FactOwners,
) -> int:
    """Re-decide the clients' pending lines in order, in ``uow``; how many were decided.

    A line whose decision still depends on a voucher missing from ``authoritative``
    stays pending (SPEC §3.4: never denied on an older view); so does a line whose
    replicas are still behind their owners (the fence, without waiting: ``uow`` holds
    a transaction)."""
    loaded, stale = await fenced(partial(store.load_pending, uow, client_ids), owners, 0)
    if not loaded.lines:
        return 0
    decided = decide_batch(loaded, catalog, today=today, authoritative=authoritative, stale=stale)
    return await store.save_pending(uow, decided, now)


def voucher_handler(
    store: ClaimStore, catalog: Callable[[], Catalog], clock: Clock, owners: FactOwners
) -> Callable[[UnitOfWork, VoucherChange], Any]:
    """The ``atr.vouchers.v1`` handler: update the replica, then decide pending lines
    (the vouchers service is not asked here: a line that depends on it stays pending)."""

    async def on_voucher(uow: UnitOfWork, event: VoucherChange) -> None:
        uow.applied(VOUCHERS, event)
        snapshot = event.data.voucher
        if await apply_voucher_snapshot(uow, snapshot):
            await decide_pending(
                store,
                uow,
                {snapshot.client_id},
                catalog(),
                today=clock.today(),
                now=clock.now(),
                authoritative={},
                owners=owners,
            )

    return on_voucher


def sweeper(
    runtime: ServiceRuntime[ClaimsSettings],
    store: ClaimStore,
    catalog: Callable[[], Catalog],
    clock: Clock,
    lookup: VoucherLookup,
    owners: FactOwners,
) -> BackgroundTask:
    """Background task: re-check pending lines against the vouchers service."""

    async def sweep_once() -> int:
        pairs = await store.pending_vouchers(500)
        if not pairs:
            return 0
        truth = await lookup.fetch({voucher_id for _, voucher_id in pairs})
        async with runtime.unit_of_work() as uow:
            decided = await decide_pending(
                store,
                uow,
                {client_id for client_id, _ in pairs},
                catalog(),
                today=clock.today(),
                now=clock.now(),
                authoritative=truth,
                owners=owners,
            )
            await uow.commit()
        return decided

    async def run() -> None:
        while True:
            await asyncio.sleep(runtime.settings.claim_pending_sweep_s)
            try:
                decided = await sweep_once()
                if decided:
                    log.info("decided %d pending claims", decided)
            except Exception:
                log.exception("pending-claims sweep failed; retrying")

    return run
