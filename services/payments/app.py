"""The payments process: module-level ``runtime``, ``broker`` and ``app``.

Funds approved claim lines under the fiscal years' quarterly allotments and keeps their
10 % holdbacks per provider episode (SPEC §3.5): consumes ``atr.claims.adjudicated.v1``
(funding), discharges from ``atr.vouchers.v1`` and GPRA discharge interviews from
``atr.clients.v1`` (releases; with drug tests, the completions the year-end incentive
pool is shared by), forfeits overdue holdbacks on a timer, publishes
``atr.payments.v1``. Invoice runs, remittances and the pool's distribution are HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prometheus_client import Gauge
from pydantic import TypeAdapter

from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedEvent, ClaimCorrected
from contracts.clients import ClientEvent, DrugTestRecorded, GpraRecorded
from contracts.payments import PaymentEvent
from contracts.topics import CLAIMS_ADJUDICATED, CLIENTS, PAYMENTS, VOUCHERS
from contracts.vouchers import VoucherDischarged, VoucherEvent
from services.kit.batch_consumer import BatchConsumer
from services.kit.clock import SystemClock
from services.kit.metrics import SERVICE_LABEL
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import metadata
from services.payments.entrypoints.http import router
from services.payments.service_layer import holdbacks, incentives
from services.payments.service_layer.adjustments import apply_corrections
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.ledger import check_ledger
from services.payments.settings import PaymentsSettings

log = logging.getLogger(__name__)

runtime = ServiceRuntime("payments", metadata, PaymentsSettings(service="payments"))
broker = runtime.broker
clock = SystemClock(runtime.settings.clock_offset_days)


async def _adjudicated(uow: UnitOfWork, events: list[Any]) -> None:
    # a correction always follows its line's decision on the topic (same key, later
    # outbox row): decisions first, then corrections, keeps that order within a batch
    decided = [event for event in events if isinstance(event, ClaimAdjudicated)]
    corrected = [event for event in events if isinstance(event, ClaimCorrected)]
    if decided:
        await fund_lines(uow, decided, clock.today(), clock.now())
    if corrected:
        await apply_corrections(uow, corrected, clock.today(), clock.now())


funding = BatchConsumer(
    runtime,
    CLAIMS_ADJUDICATED,
    TypeAdapter(ClaimAdjudicatedEvent),
    _adjudicated,
    name=f"payments.{CLAIMS_ADJUDICATED.name}",
    accepts=(ClaimAdjudicated, ClaimCorrected),
    max_records=2000,
)
runtime.background_tasks.append(funding.run)


async def _discharged(uow: UnitOfWork, events: list[Any]) -> None:
    for event in events:
        await holdbacks.on_discharge(uow, event, clock.today())


async def _gpra(uow: UnitOfWork, event: GpraRecorded) -> None:
    await holdbacks.on_gpra(uow, event, clock.today())
    await incentives.record_completion(uow, event)


async def _drug_test(uow: UnitOfWork, event: DrugTestRecorded) -> None:
    await incentives.record_drug_test(uow, event)


discharges = BatchConsumer(
    runtime,
    VOUCHERS,
    TypeAdapter(VoucherEvent),
    _discharged,
    name=f"payments.{VOUCHERS.name}",
    accepts=(VoucherDischarged,),
)
runtime.background_tasks.append(discharges.run)
on_atr_clients_v1 = runtime.consume(
    CLIENTS,
    TypeAdapter(ClientEvent),
    {GpraRecorded: _gpra, DrugTestRecorded: _drug_test},
)


async def forfeiture() -> None:
    """Forfeit overdue holdbacks every ``payments_forfeit_sweep_s`` (SPEC §3.5: 60 days)."""
    while True:
        try:
            async with runtime.unit_of_work() as uow:
                settled = await holdbacks.forfeit_overdue(uow, clock.today())
                await uow.commit()
            if settled:
                log.info("settled %d overdue holdbacks", settled)
        except Exception:
            log.exception("holdback forfeiture pass failed; retrying")
        await asyncio.sleep(runtime.settings.payments_forfeit_sweep_s)


runtime.background_tasks.append(forfeiture)

ledger_violations = Gauge(
    "atr_ledger_violations",
    "Ledger invariants violated at the last check (SPEC §3.5; `atr payments check`)",
    [SERVICE_LABEL],
    registry=runtime.metrics.registry,
)


async def ledger_checks() -> None:
    """Check the ledger's invariants every ``payments_ledger_check_s``; log and export
    how many are violated (an alert rule watches the metric)."""
    while True:
        try:
            async with runtime.db.read_sessions() as session:
                problems = await check_ledger(session)
            ledger_violations.labels(runtime.metrics.service).set(len(problems))
            for problem in problems[:20]:
                log.error("ledger invariant violated: %s", problem)
        except Exception:
            log.exception("ledger check failed; retrying")
        await asyncio.sleep(runtime.settings.payments_ledger_check_s)


runtime.background_tasks.append(ledger_checks)
to_atr_payments_v1 = broker.publisher(
    PAYMENTS.name,
    title="atr.payments.v1",
    description=PAYMENTS.description
    + " Key: provider_id (a fiscal year's event: its name, e.g. FY2027).",
    schema=PaymentEvent,
)
app = runtime.http_app(router, title="ATR payments service")
app.state.clock = clock
