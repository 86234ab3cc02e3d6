"""Authentication and role checks as FastAPI dependencies (SPEC §4: 401 / 403).

Failed authentications (a token presented but unknown or revoked) are logged with the
client address, never the token, and counted per address: past
``ATR_AUTH_FAILURE_LIMIT`` within ``ATR_AUTH_FAILURE_WINDOW_S`` the address gets 429 with
``Retry-After`` (services/gateway/domain/throttle.py). A missing token is not counted:
it guesses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.adapters.token_store import authenticate
from services.gateway.domain.throttle import FailedAuthThrottle
from services.gateway.domain.tokens import Principal, Role

log = logging.getLogger(__name__)

bearer = HTTPBearer(auto_error=False)


def throttle_of(request: Request) -> FailedAuthThrottle:
    """The gateway's failed-authentication throttle (one per process)."""
    state = request.app.state
    if getattr(state, "auth_throttle", None) is None:
        settings = state.runtime.settings
        state.auth_throttle = FailedAuthThrottle(
            settings.auth_failure_limit, settings.auth_failure_window_s
        )
    throttle: FailedAuthThrottle = state.auth_throttle
    return throttle


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The caller behind ``Authorization: Bearer``; 401 when absent, unknown or revoked,
    429 while the client address is over its failed-authentication limit."""
    address = request.client.host if request.client else "unknown"
    throttle = throttle_of(request)
    wait_s = throttle.retry_after(address, time.monotonic())
    if wait_s is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed authentications from this address; try again later",
            headers={"Retry-After": str(wait_s)},
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    runtime = request.app.state.runtime
    async with runtime.db.sessions() as session:
        principal = await authenticate(
            session, runtime.settings.secret_key, credentials.credentials
        )
    if principal is None:
        failures = throttle.record_failure(address, time.monotonic())
        log.warning(
            "authentication failed: invalid or revoked token from %s (%d in the window)",
            address,
            failures,
        )
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency allowing only ``roles`` (403 for any other authenticated caller)."""

    async def _check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may not do this")
        return principal

    return _check
