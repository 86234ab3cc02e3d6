"""OAuth2 client-credentials access tokens: from verified JWT claims to a principal.

The gateway accepts JWT access tokens from one configured issuer beside its opaque
tokens (SPEC §4 "JWT access tokens from a configured OAuth2 issuer"). Once the
signature, issuer, audience and times have been checked
(:mod:`services.gateway.adapters.access_tokens`), the claims map to a principal:

- ``sub`` (required): the OAuth2 client; the principal's token id is ``jwt:<sub>``
  (a hash of it when it is long or not plain text), so what a client did is recorded
  against it like an opaque token's id;
- the role claim (``role`` unless ``ATR_JWT_ROLE_CLAIM`` names another): one platform
  role, as a string or as a list holding exactly one platform role (identity providers
  that issue app roles as ``roles: [...]``);
- the provider claim (``provider_id`` unless ``ATR_JWT_PROVIDER_CLAIM``): required for,
  and only for, the ``provider`` role, as for opaque tokens;
- ``organisation_id`` (optional): an assessor's organisation;
- ``scope`` (space-separated string) or ``scp`` (list): the platform scopes
  ``atr:read`` / ``atr:write`` among them narrow the role; none of them: the role's
  full rights (:mod:`services.gateway.domain.tokens`).

Every refusal is an :class:`AccessTokenError` with a stable ``reason`` (for logs and
metrics) and a ``detail`` fit for the caller: it names the claim at fault, never a
claim's value, the token or a key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.fields import ID_PATTERN
from services.gateway.domain.tokens import Principal, Role, parse_scopes

JWT_TOKEN_ID_PREFIX = "jwt:"  # noqa: S105 - a token id prefix, not a secret
MAX_TOKEN_ID = 64
"""Token ids are recorded in columns of 64 characters (who determined, who recorded)."""
_PLAIN_SUBJECT = re.compile(r"[A-Za-z0-9._:@|/+-]+")
_ID = re.compile(ID_PATTERN)


class AccessTokenError(Exception):
    """A JWT access token that does not authenticate (HTTP 401).

    ``reason`` is a stable code (``expired``, ``audience``, ``issuer``, ``signature``,
    ``unknown_key``, ``algorithm``, ``malformed``, ``missing_claim``, ``role``,
    ``provider_binding`` …); ``detail`` is safe to show the caller.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ClaimNames:
    """Which claims carry the role and the provider binding (settings choose them)."""

    role: str = "role"
    provider_id: str = "provider_id"


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWS compact form (three dot-separated parts); opaque
    tokens never do."""
    return token.count(".") == 2


def token_id_of(subject: str) -> str:
    """The principal's token id for an access token with ``sub`` = ``subject``."""
    candidate = JWT_TOKEN_ID_PREFIX + subject
    if len(candidate) <= MAX_TOKEN_ID and _PLAIN_SUBJECT.fullmatch(subject):
        return candidate
    digest = hashlib.sha256(subject.encode()).hexdigest()
    return (JWT_TOKEN_ID_PREFIX + digest)[:MAX_TOKEN_ID]


def principal_from_claims(claims: Mapping[str, Any], names: ClaimNames) -> Principal:
    """The principal of a verified access token's ``claims`` (see the module docstring).

    Raises :class:`AccessTokenError` for a missing subject, a missing or unknown role,
    or a provider binding that does not fit the role.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AccessTokenError("missing_claim", "access token has no 'sub' claim")
    role = _role(claims.get(names.role), names.role)
    provider_id = _optional_text(claims, names.provider_id)
    if role is Role.PROVIDER and provider_id is None:
        raise AccessTokenError(
            "provider_binding",
            f"a provider access token needs the '{names.provider_id}' claim",
        )
    if role is not Role.PROVIDER and provider_id is not None:
        raise AccessTokenError(
            "provider_binding",
            f"only provider access tokens may carry the '{names.provider_id}' claim",
        )
    return Principal(
        token_id=token_id_of(subject),
        role=role,
        provider_id=provider_id,
        organisation_id=_optional_text(claims, "organisation_id"),
        scopes=parse_scopes(_scope_values(claims)),
    )


def _role(value: Any, claim: str) -> Role:
    known = {role.value for role in Role}
    if isinstance(value, str):
        candidates = [value]
    elif isinstance(value, list):
        candidates = [item for item in value if isinstance(item, str)]
    else:
        raise AccessTokenError("role", f"access token has no '{claim}' claim naming a role")
    roles = {Role(item) for item in candidates if item in known}
    if len(roles) != 1:
        raise AccessTokenError(
            "role",
            f"access token's '{claim}' claim must name exactly one of: " + ", ".join(sorted(known)),
        )
    return roles.pop()


def _optional_text(claims: Mapping[str, Any], claim: str) -> str | None:
    value = claims.get(claim)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise AccessTokenError(
            "malformed",
            f"access token's '{claim}' claim must be an id: 1 to 64 letters, digits or _ . : -",
        )
    return value


def _scope_values(claims: Mapping[str, Any]) -> list[str]:
    values: list[str] = []
    scope = claims.get("scope")
    if isinstance(scope, str):
        values.extend(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, list):
        values.extend(item for item in scp if isinstance(item, str))
    elif isinstance(scp, str):
        values.extend(scp.split())
    return values
