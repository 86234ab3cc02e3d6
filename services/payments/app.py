"""The payments process: module-level ``runtime``, ``broker`` and ``app``.

Funds approved claim lines under the fiscal years' quarterly allotments (SPEC §3.5):
consumes ``atr.claims.adjudicated.v1`` in batches, publishes ``atr.payments.v1``.
Holdback releases, invoice runs and remittances come next.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedEvent
from contracts.payments import PaymentEvent
from contracts.topics import CLAIMS_ADJUDICATED, PAYMENTS
from services.kit.batch_consumer import BatchConsumer
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import metadata
from services.payments.entrypoints.http import router
from services.payments.service_layer.funding import fund_lines

runtime = ServiceRuntime("payments", metadata)
broker = runtime.broker
clock = SystemClock(runtime.settings.clock_offset_days)


async def _adjudicated(uow: UnitOfWork, events: list[Any]) -> None:
    await fund_lines(uow, events, clock.today(), clock.now())


funding = BatchConsumer(
    runtime,
    CLAIMS_ADJUDICATED,
    TypeAdapter(ClaimAdjudicatedEvent),
    _adjudicated,
    name=f"payments.{CLAIMS_ADJUDICATED.name}",
    accepts=(ClaimAdjudicated,),
    max_records=2000,
)
runtime.background_tasks.append(funding.run)
to_atr_payments_v1 = broker.publisher(
    PAYMENTS.name,
    title="atr.payments.v1",
    description=PAYMENTS.description
    + " Key: provider_id (a fiscal year's event: its name, e.g. FY2027).",
    schema=PaymentEvent,
)
app = runtime.http_app(router, title="ATR payments service")
app.state.clock = clock
