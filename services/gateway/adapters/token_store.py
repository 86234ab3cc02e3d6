"""Token repository over the gateway database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.adapters.orm import api_tokens
from services.gateway.domain.tokens import Principal, Role, hash_token, new_token, validate_binding


async def create_token(
    session: AsyncSession,
    secret_key: str,
    role: Role,
    *,
    provider_id: str | None = None,
    organisation_id: str | None = None,
    label: str | None = None,
    token: str | None = None,
) -> tuple[str, str]:
    """Store a new token (hashed) and return ``(token_id, token)``; the token is shown once.

    ``token`` lets the development bootstrap choose the value; an existing identical
    token is reused, so the bootstrap is idempotent.
    """
    validate_binding(role, provider_id)
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
    """The principal of an active token, or None."""
    row = (
        await session.execute(
            select(api_tokens).where(
                api_tokens.c.token_hash == hash_token(secret_key, token),
                api_tokens.c.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(
        token_id=row.token_id,
        role=Role(row.role),
        provider_id=row.provider_id,
        organisation_id=row.organisation_id,
    )
