"""``atr token create|list|revoke``: token administration against the gateway database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from services.gateway.adapters.orm import metadata
from services.gateway.adapters.token_store import create_token, list_tokens, revoke_token
from services.gateway.domain.tokens import (
    Role,
    format_scopes,
    parse_scopes,
    validate_binding,
    validate_expiry,
)
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import add_kit_tables
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork


async def create(
    role: str,
    provider_id: str | None,
    organisation_id: str | None,
    label: str | None,
    scopes: Sequence[str] = (),
    expires_in_days: float | None = None,
) -> int:
    """Create a token and print it once (only its hash is stored); ``scopes`` empty:
    everything the role may do; ``expires_in_days`` None: never expires."""
    expires_at = (
        None if expires_in_days is None else datetime.now(UTC) + timedelta(days=expires_in_days)
    )
    try:
        validate_binding(Role(role), provider_id)
        validate_expiry(expires_at, datetime.now(UTC))
    except ValueError as refused:
        print(f"atr token create: {refused}", file=sys.stderr)
        return 2
    settings = Settings(service="gateway")
    await asyncio.to_thread(upgrade_to_head, "gateway", settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        async with UnitOfWork(db, add_kit_tables(metadata)) as uow:
            token_id, token = await create_token(
                uow.session,
                settings.secret_key,
                Role(role),
                provider_id=provider_id,
                organisation_id=organisation_id,
                label=label,
                scopes=parse_scopes(scopes),
                expires_at=expires_at,
            )
            await uow.commit()
    finally:
        await db.dispose()
    print(f"token_id={token_id}\ntoken={token}")
    if expires_at is not None:
        print(f"expires_at={expires_at.isoformat(timespec='seconds')}")
    return 0


async def list_command(include_inactive: bool) -> int:
    """Print one line per token (never its value): id, state, role, provider, scopes,
    expiry and label; active tokens only unless ``include_inactive``."""
    settings = Settings(service="gateway")
    await asyncio.to_thread(upgrade_to_head, "gateway", settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        async with db.sessions() as session:
            records = await list_tokens(session, include_inactive=include_inactive)
    finally:
        await db.dispose()
    now = datetime.now(UTC)
    print("token_id\tstate\trole\tprovider_id\tscopes\texpires_at\tlabel")
    for record in records:
        expires = record.expires_at.isoformat(timespec="seconds") if record.expires_at else "-"
        print(
            "\t".join(
                (
                    record.token_id,
                    record.state(now),
                    record.role.value,
                    record.provider_id or "-",
                    format_scopes(record.scopes) or "-",
                    expires,
                    record.label or "-",
                )
            )
        )
    return 0


async def revoke(token_id: str) -> int:
    """Revoke a token by id; exit code 1 when it was unknown or already revoked."""
    settings = Settings(service="gateway")
    db = Database(settings.resolved_database_url)
    try:
        async with UnitOfWork(db, add_kit_tables(metadata)) as uow:
            done = await revoke_token(uow.session, token_id)
            await uow.commit()
    finally:
        await db.dispose()
    print("revoked" if done else "no such active token")
    return 0 if done else 1
