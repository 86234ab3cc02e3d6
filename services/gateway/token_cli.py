"""``atr token create|revoke``: token administration against the gateway database."""

from __future__ import annotations

import asyncio

from services.gateway.adapters.orm import metadata
from services.gateway.adapters.token_store import create_token, revoke_token
from services.gateway.domain.tokens import Role
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import add_kit_tables
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork


async def create(
    role: str, provider_id: str | None, organisation_id: str | None, label: str | None
) -> int:
    """Create a token and print it once (only its hash is stored)."""
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
            )
            await uow.commit()
    finally:
        await db.dispose()
    print(f"token_id={token_id}\ntoken={token}")
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
