"""The reporting process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from pydantic import TypeAdapter

from contracts.clients import ClientEvent
from contracts.providers import ProviderEvent, ProviderRegistered
from contracts.topics import CLIENTS, PROVIDERS, VOUCHERS
from contracts.vouchers import VoucherEvent
from services.kit.runtime import ServiceRuntime
from services.reporting.adapters.orm import metadata
from services.reporting.entrypoints import outcomes
from services.reporting.entrypoints.http import router
from services.reporting.service_layer.capacity import count_provider_designated
from services.reporting.service_layer.outcomes import CLIENT_HANDLERS, VOUCHER_HANDLERS

runtime = ServiceRuntime("reporting", metadata)
broker = runtime.broker
on_atr_providers_v1 = runtime.consume(
    PROVIDERS, TypeAdapter(ProviderEvent), {ProviderRegistered: count_provider_designated}
)
on_atr_clients_v1 = runtime.consume(CLIENTS, TypeAdapter(ClientEvent), {**CLIENT_HANDLERS})
on_atr_vouchers_v1 = runtime.consume(VOUCHERS, TypeAdapter(VoucherEvent), {**VOUCHER_HANDLERS})
app = runtime.http_app(router, outcomes.router, title="ATR reporting service")
