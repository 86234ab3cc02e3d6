"""The vouchers process: module-level ``runtime``, ``broker`` and ``app``.

Consumes eligibility (assessment and service vouchers, the choice lists offered), the
provider registry (who may be selected) and adjudicated claims (balances); publishes
``atr.vouchers.v1``.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedEvent, ClaimCorrected
from contracts.clients import (
    ChoiceListOffered,
    ClientAssessed,
    ClientEvent,
    EligibilityDetermined,
)
from contracts.providers import ProviderEvent, ProviderRegistered, ProviderUpdated
from contracts.topics import CLAIMS_ADJUDICATED, CLIENTS, PROVIDERS, VOUCHERS
from contracts.vouchers import VoucherEvent
from programs.catalog import Catalog
from services.kit.batch_consumer import BatchConsumer
from services.kit.clock import SystemClock
from services.kit.program import active_catalog
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import metadata
from services.vouchers.entrypoints.http import router
from services.vouchers.service_layer import use_cases
from services.vouchers.service_layer.scheduler import expiry_task
from services.vouchers.settings import VouchersSettings

runtime = ServiceRuntime("vouchers", metadata, VouchersSettings(service="vouchers"))
broker = runtime.broker
clock = SystemClock(runtime.settings.clock_offset_days)


def catalog() -> Catalog:
    """The active program catalog (loaded once)."""
    return active_catalog(runtime.settings)


async def _eligibility(uow: UnitOfWork, event: EligibilityDetermined) -> None:
    await use_cases.on_eligibility(uow, event, clock)


async def _assessed(uow: UnitOfWork, event: ClientAssessed) -> None:
    await use_cases.on_assessment(uow, event, catalog(), clock)


async def _adjudicated(uow: UnitOfWork, events: list[ClaimAdjudicated | ClaimCorrected]) -> None:
    await use_cases.on_claims_adjudicated(uow, events, clock)


on_atr_clients_v1 = runtime.consume(
    CLIENTS,
    TypeAdapter(ClientEvent),
    {
        EligibilityDetermined: _eligibility,
        ClientAssessed: _assessed,
        ChoiceListOffered: use_cases.on_choice_list_offered,
    },
)
on_atr_providers_v1 = runtime.consume(
    PROVIDERS,
    TypeAdapter(ProviderEvent),
    {ProviderRegistered: use_cases.on_provider, ProviderUpdated: use_cases.on_provider},
)
balances = BatchConsumer(
    runtime,
    CLAIMS_ADJUDICATED,
    TypeAdapter(ClaimAdjudicatedEvent),
    _adjudicated,
    name=f"vouchers.{CLAIMS_ADJUDICATED.name}",
    accepts=(ClaimAdjudicated, ClaimCorrected),
    # one balance change per voucher per batch: larger batches mean fewer versions and
    # events when claims flow fast. Gathering for up to ``voucher_balance_linger_s``
    # makes them larger (measured: ~2,300-4,000 records a batch instead of ~870), so
    # each voucher's version, decision row and event serve more claims
    max_records=5000,
    linger_s=runtime.settings.voucher_balance_linger_s,
)
runtime.background_tasks.append(balances.run)
to_atr_vouchers_v1 = broker.publisher(
    VOUCHERS.name,
    title="atr.vouchers.v1",
    description=VOUCHERS.description
    + " Key: voucher_id. Every event carries the voucher snapshot after the change.",
    schema=VoucherEvent,
)
runtime.background_tasks.append(expiry_task(runtime, clock))
app = runtime.http_app(router, title="ATR vouchers service")
app.state.clock = clock
app.state.catalog = catalog
