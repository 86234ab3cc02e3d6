"""Forwarding to the owning service over HTTP (httpx; trace context propagates).

The gateway authenticates and validates; the owning service decides. The caller's role
and provider binding travel in ``X-ATR-*`` headers on the internal network only.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request, Response

from services.gateway.domain.tokens import Principal


async def forward(
    request: Request,
    service: str,
    path: str,
    *,
    principal: Principal | None,
    json_body: Any = None,
    params: dict[str, Any] | None = None,
) -> Response:
    """Send the request to ``service`` and relay its status and JSON body unchanged."""
    runtime = request.app.state.runtime
    client: httpx.AsyncClient = request.app.state.http
    headers = {}
    if principal is not None:
        headers["X-ATR-Role"] = principal.role.value
        headers["X-ATR-Token-Id"] = principal.token_id
        if principal.provider_id:
            headers["X-ATR-Provider-Id"] = principal.provider_id
        if principal.organisation_id:
            headers["X-ATR-Organisation-Id"] = principal.organisation_id
    answer = await client.request(
        request.method,
        f"{runtime.settings.url_of(service)}{path}",
        json=json_body,
        params={k: v for k, v in (params or {}).items() if v is not None},
        headers=headers,
    )
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
    )
