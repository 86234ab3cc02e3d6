"""The eligibility process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from contracts.providers import ProviderEvent
from contracts.topics import PROVIDERS
from services.eligibility.adapters.orm import metadata
from services.eligibility.entrypoints.http import router
from services.kit.runtime import ServiceRuntime

runtime = ServiceRuntime("eligibility", metadata)
broker = runtime.broker
to_atr_providers_v1 = broker.publisher(
    PROVIDERS.name,
    title="atr.providers.v1",
    description=PROVIDERS.description,
    schema=ProviderEvent,
)
app = runtime.http_app(router, title="ATR eligibility service")
app.state.runtime = runtime
