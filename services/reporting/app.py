"""The reporting process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from pydantic import TypeAdapter

from contracts.providers import ProviderEvent, ProviderRegistered
from contracts.topics import PROVIDERS
from services.kit.runtime import ServiceRuntime
from services.reporting.adapters.orm import metadata
from services.reporting.entrypoints.http import router
from services.reporting.service_layer.capacity import count_provider_designated

runtime = ServiceRuntime("reporting", metadata)
broker = runtime.broker
on_atr_providers_v1 = runtime.consume(
    PROVIDERS, TypeAdapter(ProviderEvent), {ProviderRegistered: count_provider_designated}
)
app = runtime.http_app(router, title="ATR reporting service")
