"""``atr token create|revoke`` (README "Tokens and security"): a token printed once works
for authentication, and revoking it stops it at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from services.gateway.adapters.orm import metadata
from services.gateway.adapters.token_store import authenticate
from services.kit.database import Database
from services.kit.schema import add_kit_tables
from services.kit.settings import Settings


def _atr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_created_token_authenticates_until_it_is_revoked(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    env = {**os.environ, "DATABASE_URL": url, "ATR_DATA_DIR": str(tmp_path)}
    env.pop("ATR_DATABASE_URL_TEMPLATE", None)
    created = _atr("token", "create", "provider", "--provider-id", "PRV-CLI", env=env)
    assert created.returncode == 0, created.stderr
    fields = dict(line.split("=", 1) for line in created.stdout.split())
    add_kit_tables(metadata)
    secret = Settings(service="gateway").secret_key

    async def who() -> str | None:
        db = Database(url)
        try:
            async with db.sessions() as session:
                principal = await authenticate(session, secret, fields["token"])
        finally:
            await db.dispose()
        return principal.provider_id if principal else None

    assert asyncio.run(who()) == "PRV-CLI"
    revoked = _atr("token", "revoke", fields["token_id"], env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert asyncio.run(who()) is None
    assert _atr("token", "revoke", fields["token_id"], env=env).returncode == 1


def test_tokens_are_created_scoped_and_expiring_and_listed_without_values(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    env = {**os.environ, "DATABASE_URL": url, "ATR_DATA_DIR": str(tmp_path)}
    env.pop("ATR_DATABASE_URL_TEMPLATE", None)
    created = _atr(
        "token",
        "create",
        "state_system",
        "--scope",
        "atr:read",
        "--expires-in-days",
        "30",
        "--label",
        "state dashboard",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    fields = dict(line.split("=", 1) for line in created.stdout.split())
    assert "expires_at" in fields
    listed = _atr("token", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert fields["token"] not in listed.stdout
    [row] = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
    assert row[:5] == [fields["token_id"], "active", "state_system", "-", "atr:read"]
    assert row[5].startswith(fields["expires_at"][:10])
    assert _atr("token", "revoke", fields["token_id"], env=env).returncode == 0
    assert _atr("token", "list", env=env).stdout.splitlines()[1:] == []
    every = _atr("token", "list", "--all", env=env).stdout
    assert f"{fields['token_id']}\trevoked" in every
