"""API tokens and principals (SPEC §4 roles; §5 "tokens are stored hashed").

A token is 32 random bytes shown once; only its HMAC-SHA256 under the platform secret is
stored, so a leaked database does not leak usable tokens.

A token (opaque, or a JWT access token from the configured OAuth2 issuer) may carry an
expiry and **scopes**. Scopes narrow what the role allows, never widen it: ``atr:read``
permits reading (``GET``, ``HEAD``), ``atr:write`` permits every other method. A token
without scopes may do everything its role may (every token created before scopes
existed is such a token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """Roles of SPEC §4."""

    ADMIN = "admin"
    ASSESSOR = "assessor"
    PROVIDER = "provider"
    DOC_THU = "doc_thu"
    STATE_SYSTEM = "state_system"


class Scope(StrEnum):
    """What a token may do within its role (SPEC §4 roles stay the grant)."""

    READ = "atr:read"
    WRITE = "atr:write"


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""HTTP methods that only read: ``atr:read`` permits these, ``atr:write`` every other."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and, for a provider token, the one provider it acts for.

    ``scopes`` None: everything the role may do; otherwise only what the scopes permit.
    """

    token_id: str
    role: Role
    provider_id: str | None = None
    organisation_id: str | None = None
    scopes: frozenset[Scope] | None = None

    def may(self, method: str) -> bool:
        """Whether this principal's scopes permit a request with HTTP ``method``."""
        if self.scopes is None:
            return True
        return scope_of(method) in self.scopes


TokenState = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class TokenRecord:
    """One stored opaque token as an admin lists it (never its value or hash)."""

    token_id: str
    role: Role
    provider_id: str | None
    organisation_id: str | None
    label: str | None
    scopes: frozenset[Scope] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> TokenState:
        """``revoked``, ``expired`` or ``active`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if is_expired(self.expires_at, now):
            return "expired"
        return "active"


def scope_of(method: str) -> Scope:
    """The scope a request with HTTP ``method`` needs."""
    return Scope.READ if method.upper() in READ_METHODS else Scope.WRITE


def parse_scopes(values: Iterable[str] | None) -> frozenset[Scope] | None:
    """The platform scopes among ``values``; None (unrestricted) when there are none.

    Values that are not platform scopes (an identity provider's ``openid``, another
    API's scopes) are ignored: they neither grant nor restrict anything here.
    """
    known = {scope.value for scope in Scope}
    found = frozenset(Scope(value) for value in values or () if value in known)
    return found or None


def format_scopes(scopes: frozenset[Scope] | None) -> str | None:
    """The stored form of ``scopes``: space-separated and sorted, None when unrestricted."""
    return " ".join(sorted(scopes)) if scopes else None


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive UTC values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a token expiring at ``expires_at`` (None: never) has expired at ``now``."""
    return expires_at is not None and as_utc(expires_at) <= as_utc(now)


def validate_expiry(expires_at: datetime | None, now: datetime) -> None:
    """A new token's expiry, when given, lies in the future."""
    if expires_at is not None and is_expired(expires_at, now):
        raise ValueError("expires_at must lie in the future")


def new_token() -> str:
    """A fresh bearer token (URL-safe, 256 bits)."""
    return "atr_" + secrets.token_urlsafe(32)


def hash_token(secret_key: str, token: str) -> str:
    """The stored form of a token: hex HMAC-SHA256 keyed by the platform secret."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def validate_binding(role: Role, provider_id: str | None) -> None:
    """A provider token is bound to exactly one provider; other roles to none."""
    if role is Role.PROVIDER and not provider_id:
        raise ValueError("a provider token needs provider_id")
    if role is not Role.PROVIDER and provider_id:
        raise ValueError("only provider tokens are bound to a provider_id")
