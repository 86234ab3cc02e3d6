"""Access to a client follows the relationship (SPEC §4, §5).

A provider token acts and reads for clients of its own vouchers only: while its provider
holds one of the client's vouchers, or for ``relationship_grace_days`` after that ended
(discharge reporting). The vouchers service owns the relationship and is asked at
request time (``GET /relationships/{client_id}/{provider_id}``), so a selection made a
moment ago counts at once. Without one the client does not exist for that provider:
404 ``client not found``, never 403 and never the data. Other roles are unaffected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request, status

from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward


async def holds_client(request: Request, principal: Principal, client_id: str) -> bool:
    """Whether the provider of ``principal`` holds (or recently held) the client.

    The question goes through :func:`forward` as a ``GET`` (whatever the route's method),
    so it carries the same signed caller assertion as every forwarded call (bound to the
    ``GET`` and the relationship path).
    """
    # an unreachable vouchers service raises httpx.HTTPError: the app's handler makes it 503
    answer = await forward(
        request,
        "vouchers",
        f"/relationships/{client_id}/{principal.provider_id}",
        principal=principal,
        method="GET",
    )
    if answer.status_code == status.HTTP_200_OK:
        return True
    if answer.status_code == status.HTTP_404_NOT_FOUND:
        return False
    # fail closed: any other answer is never read as "allowed"
    raise HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "a platform service is unavailable; retry shortly",
        headers={"Retry-After": "1"},
    )


def client_access(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency: one of ``roles`` (else 403), and for a provider token the relationship
    with the ``{client_id}`` of the path (else 404 ``client not found``)."""
    allowed = require(*roles)

    async def _check(
        client_id: PathId, request: Request, principal: Principal = Depends(allowed)
    ) -> Principal:
        if principal.role is Role.PROVIDER and not await holds_client(
            request, principal, client_id
        ):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "client not found")
        return principal

    return _check
