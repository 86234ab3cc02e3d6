"""HTTP plumbing every service shares: health, readiness, metrics and request metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def health_router(runtime: Any) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (broker + DB reachable), ``/metrics``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_request_metrics(app: FastAPI, runtime: Any) -> None:
    """Count and time every request by route template (never by raw path: no ids)."""

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        runtime.metrics.http_requests.labels(request.method, template, response.status_code).inc()
        runtime.metrics.http_latency.labels(request.method, template).observe(
            time.perf_counter() - started
        )
        return response


def install_validation_errors(app: FastAPI) -> None:
    """422 with the field at fault and the reason, never the submitted value.

    FastAPI's default echoes ``input``; for an intake body that would put an SSN or a name
    in an error response (SPEC §5 Security).
    """

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
            for error in exc.errors()
        ]
        return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)


class BodySizeLimit:
    """ASGI middleware: 413 for request bodies over ``max_bytes`` (SPEC §4).

    Checks ``Content-Length`` up front and counts streamed chunks, so a body without a
    length cannot slip past the limit either.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request through unless its body is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLargeError:
            await _too_large(send, self.max_bytes)


class _BodyTooLargeError(Exception):
    pass


async def _too_large(send: Any, max_bytes: int) -> None:
    body = json.dumps({"detail": f"request body exceeds {max_bytes} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
