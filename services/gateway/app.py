"""The gateway process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request, Response
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from contracts.claims import ClaimSubmittedEvent
from contracts.topics import CLAIMS_SUBMITTED
from services.gateway.adapters.access_tokens import access_token_verifier
from services.gateway.adapters.orm import metadata
from services.gateway.adapters.token_store import create_token
from services.gateway.domain.tokens import Role
from services.gateway.entrypoints import (
    claims,
    clients,
    dashboard,
    fhir,
    outcome_reports,
    payments,
    program,
    providers,
    reports,
    tokens,
    vouchers,
    x12,
)
from services.gateway.settings import GatewaySettings
from services.kit.http import BodySizeLimit, problem
from services.kit.runtime import ServiceRuntime

log = logging.getLogger(__name__)
runtime = ServiceRuntime("gateway", metadata, GatewaySettings(service="gateway"))
broker = runtime.broker
to_atr_claims_submitted_v1 = broker.publisher(
    CLAIMS_SUBMITTED.name,
    title="atr.claims.submitted.v1",
    description=CLAIMS_SUBMITTED.description,
    schema=ClaimSubmittedEvent,
)


async def bootstrap_admin_token() -> None:
    """Development convenience: ``ATR_BOOTSTRAP_ADMIN_TOKEN`` becomes an admin token."""
    token = runtime.settings.bootstrap_admin_token
    if not token:
        return
    async with runtime.unit_of_work() as uow:
        await create_token(
            uow.session, runtime.settings.secret_key, Role.ADMIN, label="bootstrap", token=token
        )
        await uow.commit()


app = runtime.http_app(
    providers.router,
    tokens.router,
    claims.router,
    fhir.router,
    vouchers.router,
    clients.router,
    payments.router,
    payments.invoice_router,
    outcome_reports.router,
    reports.router,
    program.router,
    x12.router,
    title="ATR voucher platform API",
    description="Provider EHRs, assessors, the state program office and state systems "
    "use this API. Every call except the provider directory and health checks needs "
    "`Authorization: Bearer <token>`.",
)
app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes)
dashboard.mount_dashboard(app)


@app.exception_handler(httpx.HTTPError)
async def _service_unreachable(request: Request, exc: httpx.HTTPError) -> Response:
    """An owning service that cannot be reached is a 503 to retry, not a 500."""
    log.warning("internal call failed: %s", type(exc).__name__)
    return problem(
        503,
        "a platform service is unavailable; retry shortly",
        headers={"Retry-After": "1"},
    )


_service_lifespan = app.router.lifespan_context


@contextlib.asynccontextmanager
async def _lifespan(fastapi_app: FastAPI) -> AsyncIterator[None]:
    async with _service_lifespan(fastapi_app), httpx.AsyncClient(timeout=30.0) as client:
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=runtime.tracer_provider)
        fastapi_app.state.http = client
        # built at start, so a bad issuer key file stops the gateway instead of a request
        verifier = fastapi_app.state.access_tokens = access_token_verifier(runtime.settings)
        await bootstrap_admin_token()
        try:
            yield
        finally:
            if verifier is not None:
                await verifier.keys.aclose()
            intake = getattr(fastapi_app.state, "claim_intake", None)
            if intake is not None:
                await intake.close()  # before the database it commits to is disposed


app.router.lifespan_context = _lifespan
