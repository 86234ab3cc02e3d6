"""Forwarding to the owning service over HTTP (httpx; trace context propagates).

The gateway authenticates and validates; the owning service decides. The caller's role,
token id, provider binding and organisation travel in one signed ``X-ATR-Caller``
assertion bound to the forwarded method and path (:mod:`services.kit.caller`); a call
without a principal (the public provider directory) is signed as ``anonymous``.

:func:`forward_as` parses a successful answer into the route's response model (the
gateway documents exactly what it relays, and a service answering out of contract is a
gateway error, not a silent pass-through); a refusal (``application/problem+json``, as
every service answers) is relayed unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from fastapi import Request, Response
from pydantic import TypeAdapter

from services.gateway.domain.tokens import Principal
from services.kit.actor import Actor
from services.kit.caller import ANONYMOUS, CallerAuth

T = TypeVar("T")

_PARSERS: dict[Any, TypeAdapter[Any]] = {}


def parser_of(answer: type[T]) -> TypeAdapter[T]:
    """The (cached) parser of a response model."""
    parser = _PARSERS.get(answer)
    if parser is None:
        parser = _PARSERS[answer] = TypeAdapter(answer)
    return parser


def caller_of(principal: Principal | None) -> Actor:
    """The actor the gateway vouches for: the authenticated principal, or anonymous."""
    if principal is None:
        return ANONYMOUS
    return Actor(
        role=principal.role.value,
        token_id=principal.token_id,
        provider_id=principal.provider_id,
        organisation_id=principal.organisation_id,
    )


def encode_path(path: str) -> str:
    """``path`` with every segment percent-encoded, so no id can change the URL's shape
    (``?``, ``#``, spaces, control characters) or make httpx refuse it."""
    return "/".join(quote(segment, safe="") for segment in path.split("/"))


async def forward(
    request: Request,
    service: str,
    path: str,
    *,
    principal: Principal | None,
    json_body: Any = None,
    params: dict[str, Any] | None = None,
    method: str | None = None,
) -> Response:
    """Send the request to ``service`` and relay its status and JSON body unchanged.

    ``method`` defaults to the incoming request's (a route asking another service a
    question on the side passes ``GET``)."""
    settings = request.app.state.runtime.settings
    client: httpx.AsyncClient = request.app.state.http
    answer = await client.request(
        method or request.method,
        f"{settings.url_of(service)}{encode_path(path)}",
        json=json_body,
        params={k: v for k, v in (params or {}).items() if v is not None},
        auth=CallerAuth(
            settings.internal_key, settings.caller_assertion_ttl_s, caller_of(principal)
        ),
    )
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
    )


async def forward_as(
    request: Request,
    answer: type[T],
    service: str,
    path: str,
    *,
    principal: Principal | None,
    json_body: Any = None,
    params: dict[str, Any] | None = None,
) -> T | Response:
    """:func:`forward`, with a 2xx body parsed as ``answer`` (any other answer relayed)."""
    relayed = await forward(
        request, service, path, principal=principal, json_body=json_body, params=params
    )
    if 200 <= relayed.status_code < 300:
        return parser_of(answer).validate_json(bytes(relayed.body))
    return relayed
