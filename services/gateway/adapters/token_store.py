"""Token repository over the gateway database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.adapters.orm import api_tokens
from services.gateway.domain.tokens import (
    Principal,
    Role,
    Scope,
    TokenRecord,
    as_utc,
    format_scopes,
    hash_token,
    is_expired,
    new_token,
    parse_scopes,
    validate_binding,
    validate_expiry,
)


async def create_token(
    session: AsyncSession,
    secret_key: str,
    role: Role,
    *,
    provider_id: str | None = None,
    organisation_id: str | None = None,
    label: str | None = None,
    token: str | None = None,
    scopes: frozenset[Scope] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, str]:
    """Store a new token (hashed) and return ``(token_id, token)``; the token is shown once.

    ``token`` lets the development bootstrap choose the value; an existing identical
    token is reused, so the bootstrap is idempotent. ``scopes`` None: everything the
    role may do; ``expires_at`` None: never expires (README "Tokens and security").
    """
    validate_binding(role, provider_id)
    validate_expiry(expires_at, datetime.now(UTC))
    token = token or new_token()
    digest = hash_token(secret_key, token)
    existing = await session.scalar(
        select(api_tokens.c.token_id).where(api_tokens.c.token_hash == digest)
    )
    if existing:
        return existing, token
    token_id = str(uuid.uuid4())
    await session.execute(
        api_tokens.insert().values(
            token_id=token_id,
            token_hash=digest,
            role=role.value,
            provider_id=provider_id,
            organisation_id=organisation_id,
            label=label,
            created_at=datetime.now(UTC),
            expires_at=expires_at,
            scopes=format_scopes(scopes),
        )
    )
    return token_id, token


async def revoke_token(session: AsyncSession, token_id: str) -> bool:
    """Revoke a token; True when it existed and was active."""
    result = await session.execute(
        update(api_tokens)
        .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def authenticate(session: AsyncSession, secret_key: str, token: str) -> Principal | None:
    """The principal of an active token (known, not revoked, not expired), or None."""
    found = await active_token(session, hash_token(secret_key, token))
    if found is None or is_expired(found[1], datetime.now(UTC)):
        return None
    return found[0]


async def active_token(
    session: AsyncSession, token_hash: str
) -> tuple[Principal, datetime | None] | None:
    """The principal and expiry of the unrevoked token with this keyed hash, or None
    (expiry is the caller's to check: a remembered principal is checked on every use)."""
    row = (
        await session.execute(
            select(api_tokens).where(
                api_tokens.c.token_hash == token_hash,
                api_tokens.c.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    principal = Principal(
        token_id=row.token_id,
        role=Role(row.role),
        provider_id=row.provider_id,
        organisation_id=row.organisation_id,
        scopes=_scopes(row.scopes),
    )
    return principal, row.expires_at


async def list_tokens(
    session: AsyncSession, *, include_inactive: bool = False
) -> list[TokenRecord]:
    """Every stored token, oldest first; only active ones unless ``include_inactive``."""
    query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.token_id)
    if not include_inactive:
        query = query.where(api_tokens.c.revoked_at.is_(None))
    records = [_record(row) for row in (await session.execute(query)).all()]
    if include_inactive:
        return records
    now = datetime.now(UTC)
    return [record for record in records if record.state(now) == "active"]


def _scopes(stored: str | None) -> frozenset[Scope] | None:
    return parse_scopes(stored.split()) if stored else None


def _record(row: Row[tuple[object, ...]]) -> TokenRecord:
    return TokenRecord(
        token_id=row.token_id,
        role=Role(row.role),
        provider_id=row.provider_id,
        organisation_id=row.organisation_id,
        label=row.label,
        scopes=_scopes(row.scopes),
        created_at=as_utc(row.created_at),
        expires_at=_utc_or_none(row.expires_at),
        revoked_at=_utc_or_none(row.revoked_at),
    )


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
