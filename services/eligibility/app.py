"""The eligibility process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from fastapi import Request, Response

from contracts.api.errors import problem_type
from contracts.clients import ClientEvent
from contracts.providers import ProviderEvent
from contracts.topics import CLIENTS, PROVIDERS
from services.eligibility.adapters.orm import metadata
from services.eligibility.domain.errors import EligibilityError
from services.eligibility.entrypoints.http import router
from services.kit.clock import SystemClock
from services.kit.http import problem
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings

runtime = ServiceRuntime("eligibility", metadata, Settings(service="eligibility"))
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
app.state.clock = SystemClock(runtime.settings.clock_offset_days)


@app.exception_handler(EligibilityError)
async def _domain_error(request: Request, exc: EligibilityError) -> Response:
    """A domain refusal as problem details: a ``type`` per error code, the message, and
    the code and rule problems as extension members (a 422's problems that name an item
    also as its field ``errors``); never the input."""
    fields = [
        {
            "loc": ["body", *p["item"].split(".")],
            "msg": p.get("msg", p.get("code", "")),
            "type": exc.code,
        }
        for p in exc.problems
        if "item" in p
    ]
    return problem(
        exc.http_status,
        exc.message,
        type_=problem_type(exc.code.lower().replace("_", "-")),
        code=exc.code,
        problems=exc.problems,
        errors=fields if exc.http_status == 422 and fields else None,
    )
