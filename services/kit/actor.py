"""Who is acting, as the gateway tells an owning service (``X-ATR-*`` headers).

The gateway authenticates the bearer token and forwards the principal's role, token id,
provider binding and organisation in headers on the internal network (SPEC §4); owning
services authorise with it and record it as "who" on their decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Header


@dataclass(frozen=True)
class Actor:
    """The caller of an internal route."""

    role: str
    token_id: str
    provider_id: str | None = None
    organisation_id: str | None = None


def current_actor(
    x_atr_role: str = Header(default="system"),
    x_atr_token_id: str = Header(default="system"),
    x_atr_provider_id: str | None = Header(default=None),
    x_atr_organisation_id: str | None = Header(default=None),
) -> Actor:
    """The actor from the gateway's headers (``system`` for internal callers)."""
    return Actor(
        role=x_atr_role,
        token_id=x_atr_token_id,
        provider_id=x_atr_provider_id,
        organisation_id=x_atr_organisation_id,
    )
