"""The claims process: module-level ``runtime``, ``broker`` and ``app``.

Every claims process is a claim worker (consumer group ``atr-claims-workers``) and keeps
the replicas it adjudicates from; ``atr up`` starts ``ATR_CLAIM_WORKERS`` of them on
one database.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from contracts.claims import ClaimAdjudicatedEvent
from contracts.clients import (
    ClientAssessed,
    ClientEnrolled,
    ClientEvent,
    EligibilityDetermined,
    TreatmentStatusChanged,
)
from contracts.providers import ProviderEvent, ProviderRegistered, ProviderUpdated
from contracts.topics import CLAIMS_ADJUDICATED, CLIENTS, PROVIDERS, VOUCHERS
from contracts.vouchers import (
    VoucherActivated,
    VoucherClosed,
    VoucherDischarged,
    VoucherEvent,
    VoucherExpired,
    VoucherExtended,
    VoucherIssued,
    VoucherProviderSelected,
)
from programs.catalog import Catalog
from services.claims.adapters.fact_owners import OWNERS, HttpFactOwners
from services.claims.adapters.orm import metadata
from services.claims.adapters.vouchers import HttpVoucherLookup
from services.claims.entrypoints.http import router
from services.claims.service_layer.pending import sweeper, voucher_handler
from services.claims.service_layer.replicas import apply_client_event, apply_provider_snapshot
from services.claims.service_layer.worker import ClaimWorker
from services.claims.settings import ClaimsSettings
from services.kit.batch_consumer import BatchConsumer
from services.kit.caller import CallerAuth
from services.kit.clock import SystemClock
from services.kit.program import active_catalog
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

runtime = ServiceRuntime("claims", metadata, ClaimsSettings(service="claims"))
broker = runtime.broker
clock = SystemClock(runtime.settings.clock_offset_days)


def catalog() -> Catalog:
    """The active program catalog (loaded once)."""
    return active_catalog(runtime.settings)


caller = CallerAuth(runtime.settings.internal_key, runtime.settings.caller_assertion_ttl_s)
lookup = HttpVoucherLookup(runtime.settings.url_of("vouchers"), caller)
owners = HttpFactOwners(
    {service: runtime.settings.url_of(service) for service in set(OWNERS.values())}, caller
)
worker = ClaimWorker(runtime, catalog, clock, lookup, owners)
on_voucher = voucher_handler(worker.store, catalog, clock, owners)


async def on_vouchers(uow: UnitOfWork, events: list[Any]) -> None:
    """Apply a batch of voucher events in topic order (replica, then pending lines)."""
    for event in events:
        await on_voucher(uow, event)


on_atr_providers_v1 = runtime.consume(
    PROVIDERS,
    TypeAdapter(ProviderEvent),
    {ProviderRegistered: apply_provider_snapshot, ProviderUpdated: apply_provider_snapshot},
)
on_atr_clients_v1 = runtime.consume(
    CLIENTS,
    TypeAdapter(ClientEvent),
    {
        ClientEnrolled: apply_client_event,
        EligibilityDetermined: apply_client_event,
        ClientAssessed: apply_client_event,
        TreatmentStatusChanged: apply_client_event,
    },
)
# batched: the topic carries a balance change per voucher per adjudicated batch, so its
# volume follows claim volume; those are skipped after a peek at their type (claims
# keeps its own ledger) and the rest are applied in order, one transaction per batch
vouchers_consumer = BatchConsumer(
    runtime,
    VOUCHERS,
    TypeAdapter(VoucherEvent),
    on_vouchers,
    name=f"claims.{VOUCHERS.name}",
    accepts=(
        VoucherIssued,
        VoucherProviderSelected,
        VoucherActivated,
        VoucherExtended,
        VoucherClosed,
        VoucherExpired,
        VoucherDischarged,
    ),
)
to_atr_claims_adjudicated_v1 = broker.publisher(
    CLAIMS_ADJUDICATED.name,
    title="atr.claims.adjudicated.v1",
    description=CLAIMS_ADJUDICATED.description,
    schema=ClaimAdjudicatedEvent,
)
runtime.background_tasks.append(vouchers_consumer.run)
runtime.background_tasks.append(worker.run)
runtime.background_tasks.append(sweeper(runtime, worker.store, catalog, clock, lookup, owners))
app = runtime.http_app(router, title="ATR claims service")
app.state.clock = clock
