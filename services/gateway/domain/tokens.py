"""API tokens and principals (SPEC §4 roles; §5 "tokens are stored hashed").

A token is 32 random bytes shown once; only its HMAC-SHA256 under the platform secret is
stored, so a leaked database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles of SPEC §4."""

    ADMIN = "admin"
    ASSESSOR = "assessor"
    PROVIDER = "provider"
    DOC_THU = "doc_thu"
    STATE_SYSTEM = "state_system"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and, for a provider token, the one provider it acts for."""

    token_id: str
    role: Role
    provider_id: str | None = None
    organisation_id: str | None = None


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
