"""The eligibility process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from contracts.clients import ClientEvent
from contracts.providers import ProviderEvent
from contracts.topics import CLIENTS, PROVIDERS
from services.eligibility.adapters.orm import metadata
from services.eligibility.domain.errors import EligibilityError
from services.eligibility.entrypoints.http import router
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime

runtime = ServiceRuntime("eligibility", metadata)
broker = runtime.broker
to_atr_providers_v1 = broker.publisher(
    PROVIDERS.name,
    title="atr.providers.v1",
    description=PROVIDERS.description,
    schema=ProviderEvent,
)
to_atr_clients_v1 = broker.publisher(
    CLIENTS.name,
    title="atr.clients.v1",
    description=CLIENTS.description,
    schema=ClientEvent,
)
app = runtime.http_app(router, title="ATR eligibility service")
app.state.runtime = runtime
app.state.clock = SystemClock(runtime.settings.clock_offset_days)


@app.exception_handler(EligibilityError)
async def _domain_error(_request: Request, exc: EligibilityError) -> JSONResponse:
    """A domain refusal as JSON: code, message and rule problems, never the input."""
    return JSONResponse(
        {"detail": exc.message, "code": exc.code, "problems": exc.problems},
        status_code=exc.http_status,
    )
