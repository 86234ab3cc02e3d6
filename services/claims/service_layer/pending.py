"""Pending lines: decided when their voucher's state arrives (SPEC §3.4 event lag).

A line is pended when this worker has not yet seen the admission the vouchers service
already acknowledged. Two paths decide it later:

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
from typing import Any

from sqlalchemy import select

from contracts.claims import ClaimSubmittedData
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
from services.claims.adapters.orm import IS_PENDING, claims
from services.claims.service_layer import adjudication
from services.claims.service_layer.adjudication import Received
from services.claims.service_layer.replicas import apply_voucher_snapshot
from services.claims.service_layer.state import load_state
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


async def pending_lines(uow: UnitOfWork, client_ids: set[str]) -> list[Received]:
    """The clients' pending lines in the order they were received."""
    rows = await uow.session.execute(
        select(claims.c.line, claims.c.submitted_at)
        .where(claims.c.client_id.in_(client_ids), IS_PENDING)
        .order_by(claims.c.seq)
    )
    return [adjudication.to_line(ClaimSubmittedData.model_validate(row.line)) for row in rows]


async def decide_pending(
    uow: UnitOfWork,
    client_ids: set[str],
    catalog: Catalog,
    *,
    today: date,
    now: datetime,
    authoritative: Mapping[str, Any],
    lag_pends: bool,
) -> int:
    """Re-decide the clients' pending lines in order; returns how many were decided."""
    lines = await pending_lines(uow, client_ids)
    if not lines:
        return 0
    state = await load_state(
        uow.session,
        {r.line.client_id for r in lines},
        {r.line.voucher_id for r in lines},
        {r.line.provider_id for r in lines},
    )
    state.pending_clients -= client_ids
    results = adjudication.decide_all(
        lines,
        state,
        catalog,
        today=today,
        now=now,
        authoritative=authoritative,
        lag_pends=lag_pends,
    )
    await adjudication.write_decisions(uow, results)
    decided = 0
    for received, values in results:
        if values["status"] == "pending":
            continue
        decided += 1
        await uow.session.execute(
            claims.update().where(claims.c.claim_id == received.line.claim_id).values(**values)
        )
    return decided


def voucher_handler(
    catalog: Callable[[], Catalog], clock: Clock
) -> Callable[[UnitOfWork, VoucherChange], Any]:
    """The ``atr.vouchers.v1`` handler: update the replica, then decide pending lines."""

    async def on_voucher(uow: UnitOfWork, event: VoucherChange) -> None:
        snapshot = event.data.voucher
        if await apply_voucher_snapshot(uow, snapshot):
            await decide_pending(
                uow,
                {snapshot.client_id},
                catalog(),
                today=clock.today(),
                now=clock.now(),
                authoritative={},
                lag_pends=True,
            )

    return on_voucher


def sweeper(
    runtime: ServiceRuntime, catalog: Callable[[], Catalog], clock: Clock, lookup: Any
) -> BackgroundTask:
    """Background task: re-check pending lines against the vouchers service."""

    async def sweep_once() -> int:
        async with runtime.db.read_sessions() as session:
            rows = await session.execute(
                select(claims.c.client_id, claims.c.voucher_id).where(IS_PENDING).limit(500)
            )
            pairs = rows.all()
        if not pairs:
            return 0
        truth = await lookup.fetch({voucher_id for _, voucher_id in pairs})
        async with runtime.unit_of_work() as uow:
            decided = await decide_pending(
                uow,
                {client_id for client_id, _ in pairs},
                catalog(),
                today=clock.today(),
                now=clock.now(),
                authoritative=truth,
                lag_pends=False,
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
