"""Authentication and role checks as FastAPI dependencies (SPEC §4: 401 / 403).

A bearer token is either opaque (looked up by its keyed hash: unknown, revoked and
expired tokens are refused) or, when ``ATR_JWT_ISSUER`` is set, a JWT access token of
that OAuth2 issuer (:mod:`services.gateway.adapters.access_tokens`); with no issuer
configured every token is looked up as an opaque one. A token's scopes then limit it to
reading or writing (403 otherwise) before any role check.

Failed authentications (a token presented but unknown, revoked, expired or not
verifying) are logged with the client address and the reason, never the token, and
counted per address: past ``ATR_AUTH_FAILURE_LIMIT`` within ``ATR_AUTH_FAILURE_WINDOW_S``
the address gets 429 with ``Retry-After`` (services/gateway/domain/throttle.py). A
missing token is not counted: it guesses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.adapters.access_tokens import (
    AccessTokenVerifier,
    IssuerKeysUnavailableError,
    access_token_verifier,
)
from services.gateway.adapters.token_store import active_token
from services.gateway.domain.access_tokens import AccessTokenError, looks_like_jwt
from services.gateway.domain.principal_cache import PrincipalCache
from services.gateway.domain.throttle import FailedAuthThrottle
from services.gateway.domain.tokens import Principal, Role, hash_token, is_expired, scope_of

log = logging.getLogger(__name__)

bearer = HTTPBearer(auto_error=False)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


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


def principal_cache_of(request: Request) -> PrincipalCache:
    """The gateway's memory of recently verified opaque tokens (one per process)."""
    state = request.app.state
    if getattr(state, "principal_cache", None) is None:
        state.principal_cache = PrincipalCache(state.runtime.settings.auth_cache_s)
    cache: PrincipalCache = state.principal_cache
    return cache


def verifier_of(request: Request) -> AccessTokenVerifier | None:
    """The gateway's JWT access-token verifier, None when no OAuth2 issuer is configured
    (built by the app's lifespan, or here on first use)."""
    state = request.app.state
    if not hasattr(state, "access_tokens"):
        state.access_tokens = access_token_verifier(state.runtime.settings)
    verifier: AccessTokenVerifier | None = state.access_tokens
    return verifier


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The caller behind ``Authorization: Bearer``; 401 when absent, unknown, revoked,
    expired or (an access token) not verifying, 403 when the token's scopes do not
    permit the request's method, 429 while the client address is over its
    failed-authentication limit, 503 when the issuer's keys cannot be fetched."""
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
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", CHALLENGE)
    token = credentials.credentials
    verifier = verifier_of(request)
    if verifier is not None and looks_like_jwt(token):
        principal = await _verified_access_token(verifier, token, throttle, address)
    else:
        principal = await _stored_token(request, token, throttle, address)
    if not principal.may(request.method):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this token's scopes do not include {scope_of(request.method)}",
        )
    return principal


async def _stored_token(
    request: Request, token: str, throttle: FailedAuthThrottle, address: str
) -> Principal:
    """An opaque token's principal: remembered for ``ATR_AUTH_CACHE_S`` after it verified
    (services/gateway/domain/principal_cache.py), else looked up by its keyed hash."""
    runtime = request.app.state.runtime
    cache = principal_cache_of(request)
    digest = hash_token(runtime.settings.secret_key, token)
    wall = datetime.now(UTC)
    principal = cache.get(digest, time.monotonic(), wall)
    if principal is None:
        async with runtime.db.sessions() as session:
            found = await active_token(session, digest)
        if found is not None and not is_expired(found[1], wall):
            principal = found[0]
            cache.remember(digest, principal, found[1], time.monotonic())
    if principal is None:
        _refused(throttle, address, "invalid, revoked or expired token")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid, revoked or expired token", CHALLENGE
        )
    return principal


async def _verified_access_token(
    verifier: AccessTokenVerifier, token: str, throttle: FailedAuthThrottle, address: str
) -> Principal:
    try:
        return await verifier.verify(token)
    except AccessTokenError as refused:
        _refused(throttle, address, f"access token refused ({refused.reason})")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, refused.detail, CHALLENGE) from None
    except IssuerKeysUnavailableError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the token issuer's keys cannot be fetched; retry shortly",
            headers={"Retry-After": "5"},
        ) from None


def _refused(throttle: FailedAuthThrottle, address: str, why: str) -> None:
    failures = throttle.record_failure(address, time.monotonic())
    log.warning("authentication failed: %s from %s (%d in the window)", why, address, failures)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency allowing only ``roles`` (403 for any other authenticated caller)."""

    async def _check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may not do this")
        return principal

    return _check
