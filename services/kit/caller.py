"""Signed caller assertions: who calls an internal route, vouched for by a shared key.

Internal services trust no caller header on its own. The gateway (after authenticating a
bearer token) and services calling each other send one header, ``X-ATR-Caller``::

    <payload>.<signature>

``payload`` is base64url (unpadded) compact JSON ``{role, token_id, provider_id,
organisation_id, method, path, iat, exp}`` — ids and a role, never PHI; ``signature`` is
base64url HMAC-SHA256 of the encoded payload under ``settings.internal_key``.

An assertion is bound to one HTTP method and (decoded) URL path, so one seen on the
internal network cannot be replayed on another route; it lives ``caller_assertion_ttl_s``
(30 s by default), with :data:`CLOCK_SKEW_S` allowed between hosts. The query string is
not bound.

Roles are the gateway's (``admin``, ``assessor``, ``provider``, ``doc_thu``,
``state_system``), ``system`` for service-to-service calls and ``anonymous`` for the one
public read the gateway forwards without a token (the provider directory).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx
from fastapi import HTTPException, Request

from services.kit.actor import Actor

HEADER = "X-ATR-Caller"
CLOCK_SKEW_S = 5.0
"""Seconds an assertion may look expired or not yet issued because clocks differ."""

SYSTEM = Actor(role="system", token_id="system")  # noqa: S106 - an actor id, not a secret
ANONYMOUS = Actor(role="anonymous", token_id="anonymous")  # noqa: S106 - likewise


class CallerAssertionError(ValueError):
    """The assertion is missing, malformed, badly signed, expired or for another route."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), payload.encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def sign(
    actor: Actor, key: str, *, method: str, path: str, ttl_s: float, now: float | None = None
) -> str:
    """An assertion that ``actor`` calls ``method path``, valid for ``ttl_s`` seconds."""
    issued = int(time.time() if now is None else now)
    claims = {
        "role": actor.role,
        "token_id": actor.token_id,
        "provider_id": actor.provider_id,
        "organisation_id": actor.organisation_id,
        "method": method.upper(),
        "path": path,
        "iat": issued,
        "exp": issued + max(1, round(ttl_s)),
    }
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_signature(key, payload)}"


def verify(
    assertion: str | None, key: str, *, method: str, path: str, now: float | None = None
) -> Actor:
    """The caller an assertion names, or :class:`CallerAssertionError` saying why not.

    The signature is checked (in constant time) before the payload is parsed.
    """
    if not assertion:
        raise CallerAssertionError("caller assertion missing")
    payload, dot, signature = assertion.partition(".")
    if not dot or not payload or not signature:
        raise CallerAssertionError("caller assertion malformed")
    expected = _signature(key, payload) if payload.isascii() else ""
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise CallerAssertionError("caller assertion signature invalid")
    try:
        claims = json.loads(_b64decode(payload))
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError and JSONDecodeError
        raise CallerAssertionError("caller assertion malformed") from exc
    if not _well_formed(claims):
        raise CallerAssertionError("caller assertion malformed")
    current = time.time() if now is None else now
    if current > claims["exp"] + CLOCK_SKEW_S:
        raise CallerAssertionError("caller assertion expired")
    if claims["iat"] > current + CLOCK_SKEW_S:
        raise CallerAssertionError("caller assertion issued in the future")
    if claims["method"] != method.upper() or claims["path"] != path:
        raise CallerAssertionError("caller assertion is for another route")
    return Actor(
        role=claims["role"],
        token_id=claims["token_id"],
        provider_id=claims["provider_id"],
        organisation_id=claims["organisation_id"],
    )


def _well_formed(claims: Any) -> bool:
    if not isinstance(claims, dict):
        return False
    texts = ("role", "token_id", "method", "path")
    optional = ("provider_id", "organisation_id")
    times = ("iat", "exp")
    return (
        all(isinstance(claims.get(name), str) and claims[name] for name in texts)
        and all(name in claims and isinstance(claims[name], str | None) for name in optional)
        and all(type(claims.get(name)) in (int, float) for name in times)
    )


class CallerAuth(httpx.Auth):
    """httpx auth that signs every request as ``actor`` for its own method and path.

    Pass it to an ``httpx.AsyncClient(auth=...)`` (service-to-service calls, as
    :data:`SYSTEM`) or to a single ``client.request(..., auth=...)`` (the gateway, as
    the authenticated principal).
    """

    def __init__(self, key: str, ttl_s: float, actor: Actor = SYSTEM) -> None:
        self.key = key
        self.ttl_s = ttl_s
        self.actor = actor

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the ``X-ATR-Caller`` header for this request."""
        request.headers[HEADER] = sign(
            self.actor, self.key, method=request.method, path=request.url.path, ttl_s=self.ttl_s
        )
        yield request


def require_caller(key: str) -> Callable[[Request], Actor]:
    """A FastAPI dependency: the verified caller of this request, or 401.

    :meth:`services.kit.runtime.ServiceRuntime.http_app` adds it to every router of an
    internal service; :func:`services.kit.actor.current_actor` reads what it stored.
    """

    def verified_caller(request: Request) -> Actor:
        try:
            actor = verify(
                request.headers.get(HEADER), key, method=request.method, path=request.url.path
            )
        except CallerAssertionError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": HEADER}) from exc
        request.state.caller = actor
        return actor

    return verified_caller
