"""Who is acting on an internal route: the caller a signed assertion names.

The gateway authenticates the bearer token and vouches for the principal's role, token
id, provider binding and organisation in a signed ``X-ATR-Caller`` assertion
(:mod:`services.kit.caller`); services calling each other sign as ``system``. Every
router of an internal service verifies it before the route runs (``ServiceRuntime.
http_app``); owning services authorise with the result and record it as "who" on their
decisions. No unsigned header is trusted, and no request is ``system`` by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request


@dataclass(frozen=True)
class Actor:
    """The caller of an internal route."""

    role: str
    token_id: str
    provider_id: str | None = None
    organisation_id: str | None = None


async def current_actor(request: Request) -> Actor:
    """The verified caller of this request (401 if none was verified, 403 if anonymous).

    An anonymous assertion is only good for the public provider directory, which does
    not ask for an actor.
    """
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Actor):
        raise HTTPException(401, "caller assertion missing")
    if caller.role == "anonymous":
        raise HTTPException(403, "this route needs an authenticated caller")
    return caller
