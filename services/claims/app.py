"""The claims process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from pydantic import TypeAdapter

from contracts.providers import ProviderEvent, ProviderRegistered, ProviderUpdated
from contracts.topics import PROVIDERS
from services.claims.adapters.orm import metadata
from services.claims.service_layer.replicas import apply_provider_snapshot
from services.kit.runtime import ServiceRuntime

runtime = ServiceRuntime("claims", metadata)
broker = runtime.broker
on_atr_providers_v1 = runtime.consume(
    PROVIDERS,
    TypeAdapter(ProviderEvent),
    {ProviderRegistered: apply_provider_snapshot, ProviderUpdated: apply_provider_snapshot},
)
app = runtime.http_app(title="ATR claims service")
app.state.runtime = runtime
