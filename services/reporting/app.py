"""The reporting process: module-level ``runtime``, ``broker`` and ``app``.

Consumes claims decisions (batched), payments, vouchers, providers and clients (GPRA
interviews, assessments) into the read models (SPEC §3.6); serves the reports to the
gateway.
"""

from __future__ import annotations

from services.kit.batch_consumer import BatchConsumer
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings
from services.reporting.adapters.orm import metadata
from services.reporting.adapters.rebuild_lock import wait_for_rebuild
from services.reporting.entrypoints import outcomes
from services.reporting.entrypoints.http import router
from services.reporting.service_layer.projections import (
    CLAIMS_PROJECTION,
    PROJECTIONS,
    apply_claims,
)

runtime = ServiceRuntime("reporting", metadata, Settings(service="reporting"))
broker = runtime.broker
runtime.consumer_prelude = wait_for_rebuild  # a running rebuild holds the read models

claims = BatchConsumer(
    runtime,
    CLAIMS_PROJECTION.topic,
    CLAIMS_PROJECTION.adapter,
    apply_claims,
    name=CLAIMS_PROJECTION.consumer,
    accepts=CLAIMS_PROJECTION.accepts,
)
runtime.background_tasks.append(claims.run)

on_atr_payments_v1, on_atr_vouchers_v1, on_atr_providers_v1, on_atr_clients_v1 = (
    runtime.consume(p.topic, p.adapter, p.handlers, name=p.consumer)
    for p in PROJECTIONS
    if not p.batched
)
app = runtime.http_app(router, outcomes.router, title="ATR reporting service")
