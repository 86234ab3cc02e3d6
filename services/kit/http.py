"""HTTP plumbing every service shares: health, readiness, metrics, request metrics and
the one error format (RFC 9457 problem details, :mod:`contracts.api.errors`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.api.errors import PROBLEM_CONTENT_TYPE, problem_body

log = logging.getLogger(__name__)


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
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)


class RequestMetrics:
    """ASGI middleware counting and timing requests by method, route template and status.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    runs each request through a task group and memory streams, a cost every claim post
    paid. A request whose handler raises is counted with status 500.
    """

    def __init__(self, app: ASGIApp, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count it once it is answered (or has failed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            service = self.metrics.service
            self.metrics.http_requests.labels(service, method, template, status).inc()
            self.metrics.http_latency.labels(service, method, template).observe(
                time.perf_counter() - started
            )


class ProblemResponse(JSONResponse):
    """An RFC 9457 problem details answer (``application/problem+json``)."""

    media_type = PROBLEM_CONTENT_TYPE


def problem(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """A refusal in the platform's one error format (:class:`contracts.api.errors.Problem`).

    ``extensions`` become extension members (the state a conflict is about). No
    ``instance``: a request path may carry whatever the caller typed as an id (SPEC §5:
    no PHI in errors)."""
    body = problem_body(status, detail, type_=type_, **extensions)
    return ProblemResponse(jsonable_encoder(body), status_code=status, headers=headers)


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """``{loc, msg, type}`` of each validation error: never ``input`` or ``ctx`` (which
    echo what was submitted; for an intake body an SSN or a name, SPEC §5 Security)."""
    return [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]


def validation_problem(errors: Sequence[Any], **extensions: Any) -> ProblemResponse:
    """422 naming each field at fault and why."""
    listed = field_errors(errors)
    count = len(listed)
    detail = f"{count} invalid field{'' if count == 1 else 's'}"
    return problem(422, detail, errors=listed, **extensions)


def install_problem_details(app: FastAPI) -> None:
    """Every refusal of ``app`` as ``application/problem+json`` (contracts.api.errors).

    ``HTTPException`` keeps its status, message and headers (``WWW-Authenticate`` on
    401, ``Retry-After`` on 429 and 503); request validation and database refusals go
    through :func:`install_validation_errors` and :func:`install_database_errors`.
    """

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code < 400 or exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    install_validation_errors(app)
    install_database_errors(app)
    _document_problems_only(app)


def _document_problems_only(app: FastAPI) -> None:
    """OpenAPI lists refusals (4xx, 5xx) as ``application/problem+json`` only.

    FastAPI documents a response's ``model`` under the route's media type
    (``application/json``, ``application/fhir+json``); the refusals are never sent as
    that, so their schema moves to the problem media type."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and PROBLEM_CONTENT_TYPE in content:
                        # the route's own media type (JSON, FHIR JSON) is never a refusal's
                        for media in [m for m in content if m != PROBLEM_CONTENT_TYPE]:
                            plain = content.pop(media)
                            if "schema" in plain:
                                content[PROBLEM_CONTENT_TYPE].setdefault("schema", plain["schema"])
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_validation_errors(app: FastAPI) -> None:
    """422 with the field at fault and the reason, never the submitted value.

    FastAPI's default echoes ``input``; for an intake body that would put an SSN or a name
    in an error response (SPEC §5 Security).
    """

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(exc.errors())


def install_database_errors(app: FastAPI) -> None:
    """Database refusals caused by the data become 409 / 422, never a 500 with a trace.

    A constraint the body breaks (a duplicate key, a required column left empty) is a
    conflict with stored state (409); a value the column cannot hold is 422. The answer
    names neither the statement nor its values (SPEC §5: no PHI in errors); the log
    keeps the statement without parameters (``hide_parameters=True``).
    """

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> Response:
        log.warning("request refused by a database constraint: %s", type(exc.orig).__name__)
        return problem(
            409,
            "the request conflicts with stored data (a constraint was violated)",
        )

    @app.exception_handler(DataError)
    async def _data(_request: Request, exc: DataError) -> Response:
        log.warning("request refused by the database as invalid data: %s", type(exc.orig).__name__)
        return validation_problem(
            [{"loc": ["body"], "msg": "a value is invalid or out of range", "type": "value_error"}]
        )


class BodySizeLimit:
    """ASGI middleware: 413 for request bodies over ``max_bytes`` (SPEC §4).

    Checks ``Content-Length`` up front and counts streamed chunks, so a chunked body
    without a length cannot slip past the limit either: on the chunk that crosses it the
    413 is sent at once, the application is told the client went away, and anything it
    still tries to answer is dropped.
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
        rejected = False
        started = False

        async def limited_receive() -> Any:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    rejected = True
                    await _too_large(send, self.max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started
            if rejected:
                return  # the 413 went out instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not rejected:
                raise  # a real disconnect, not the one this middleware announced


async def _too_large(send: Any, max_bytes: int) -> None:
    body = json.dumps(problem_body(413, f"request body exceeds {max_bytes} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
