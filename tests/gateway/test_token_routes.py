"""Bearer tokens at the gateway's edge, through FastAPI on a migrated SQLite database
(SPEC §4 401/403, §5): opaque tokens with expiry and scopes, ``GET /v1/tokens`` for
admins, and JWT access tokens of the configured OAuth2 issuer beside them. Every
refusal is ``application/problem+json`` and names neither the token nor a key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi import Depends, FastAPI
from sqlalchemy import text

from contracts.api.errors import PROBLEM_CONTENT_TYPE
from services.gateway.adapters.orm import metadata
from services.gateway.adapters.token_store import authenticate, create_token
from services.gateway.domain.tokens import Principal, Role, Scope, hash_token
from services.gateway.entrypoints import tokens
from services.gateway.entrypoints.auth import current_principal
from services.gateway.settings import GatewaySettings
from services.kit.database import Database
from services.kit.http import install_problem_details
from services.kit.migrations import alembic_config, upgrade_to_head
from services.kit.schema import KitTables, add_kit_tables
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork
from tests.gateway.issuer import AUDIENCE, ISSUER, IssuerKey, claims, write_pem

TABLES = add_kit_tables(metadata)


class Runtime:
    """What the gateway's dependencies take from its runtime: settings and a database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        self.tables: KitTables = TABLES

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.tables)


@dataclass
class Gateway:
    client: httpx.AsyncClient
    runtime: Runtime
    admin: dict[str, str]

    async def token(self, role: Role, **options: Any) -> str:
        async with self.runtime.unit_of_work() as uow:
            _, token = await create_token(
                uow.session, self.runtime.settings.secret_key, role, **options
            )
            await uow.commit()
        return token


@pytest.fixture(scope="module")
def issuer_key() -> IssuerKey:
    return IssuerKey.rsa()


def _app(runtime: Runtime) -> FastAPI:
    app = FastAPI()
    install_problem_details(app)
    app.include_router(tokens.router)
    app.state.runtime = runtime

    @app.get("/whoami")
    async def whoami(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        return {"role": principal.role.value, "provider_id": principal.provider_id}

    @app.post("/whoami")
    async def act(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        return {"role": principal.role.value}

    return app


async def _gateway(tmp_path: Path, **settings: Any) -> AsyncIterator[Gateway]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(upgrade_to_head, "gateway", url)
    runtime = Runtime(GatewaySettings(service="gateway", database_url=url, **settings))
    transport = httpx.ASGITransport(app=_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        gateway = Gateway(client, runtime, {})
        gateway.admin = _bearer(await gateway.token(Role.ADMIN, label="test admin"))
        yield gateway
    await runtime.db.dispose()


@pytest.fixture
async def gateway(tmp_path: Path, issuer_key: IssuerKey) -> AsyncIterator[Gateway]:
    """A gateway with an OAuth2 issuer configured by a key file."""
    async for configured in _gateway(
        tmp_path,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_public_key_file=write_pem(issuer_key, tmp_path),
    ):
        yield configured


@pytest.fixture
async def plain_gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    """A gateway with no OAuth2 issuer: opaque tokens only, as before."""
    async for configured in _gateway(tmp_path):
        yield configured


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(answer: httpx.Response, status: int, words: str, token: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    body = answer.json()
    assert body["status"] == status
    assert words in body["detail"]
    assert token not in answer.text
    assert token.split(".")[-1] not in answer.text
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"


# -- JWT access tokens


async def test_an_access_token_signed_by_the_issuer_key_authenticates(
    gateway: Gateway, issuer_key: IssuerKey
) -> None:
    answer = await gateway.client.get("/whoami", headers=_bearer(issuer_key.sign(claims())))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"role": "provider", "provider_id": "PRV-0001"}


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"aud": "another-api"}, "audience"),
        ({"exp": 1_700_000_000}, "expired"),
        ({"iss": "https://other-idp.test"}, "issuer"),
        ({"provider_id": None}, "provider_id"),
    ],
)
async def test_an_access_token_that_does_not_fit_is_a_401_problem(
    gateway: Gateway, issuer_key: IssuerKey, changes: dict[str, Any], words: str
) -> None:
    token = issuer_key.sign(claims(**changes))
    answer = await gateway.client.get("/whoami", headers=_bearer(token))
    _refused(answer, 401, words, token)
    assert "another-api" not in answer.text


async def test_an_access_token_signed_by_another_key_is_a_401_problem(gateway: Gateway) -> None:
    token = IssuerKey.rsa().sign(claims())
    answer = await gateway.client.get("/whoami", headers=_bearer(token))
    _refused(answer, 401, "signature", token)


async def test_without_an_issuer_an_access_token_is_just_an_unknown_token(
    plain_gateway: Gateway, issuer_key: IssuerKey
) -> None:
    token = issuer_key.sign(claims())
    answer = await plain_gateway.client.get("/whoami", headers=_bearer(token))
    _refused(answer, 401, "invalid, revoked or expired token", token)
    assert (await plain_gateway.client.get("/v1/tokens", headers=plain_gateway.admin)).is_success


async def test_opaque_tokens_still_work_beside_the_issuer(gateway: Gateway) -> None:
    answer = await gateway.client.get("/v1/tokens", headers=gateway.admin)
    assert answer.status_code == 200, answer.text


async def test_a_read_scoped_access_token_may_read_but_not_write(
    gateway: Gateway, issuer_key: IssuerKey
) -> None:
    token = issuer_key.sign(claims(scope="atr:read openid"))
    assert (await gateway.client.get("/whoami", headers=_bearer(token))).status_code == 200
    answer = await gateway.client.post("/whoami", headers=_bearer(token))
    _refused(answer, 403, "atr:write", token)


async def test_an_admin_access_token_lists_tokens(gateway: Gateway, issuer_key: IssuerKey) -> None:
    token = issuer_key.sign(claims(role="admin", provider_id=None, sub="program-office"))
    answer = await gateway.client.get("/v1/tokens", headers=_bearer(token))
    assert answer.status_code == 200, answer.text
    provider = issuer_key.sign(claims())
    _refused(
        await gateway.client.get("/v1/tokens", headers=_bearer(provider)), 403, "role", provider
    )


# -- opaque tokens: expiry, scopes, the list


async def test_an_expired_opaque_token_is_refused(tmp_path: Path) -> None:
    """Expiry moved in the database, with the gateway's token memory off (with it on,
    a change made outside this process applies within ``auth_cache_s``)."""
    async for gateway in _gateway(tmp_path, auth_cache_s=0):
        await _expired_is_refused(gateway)


async def test_a_token_revoked_through_the_gateway_is_refused_at_once(
    plain_gateway: Gateway,
) -> None:
    """The token memory is on (default) and the token was just used: revoking it
    through this gateway process forgets it there at once."""
    assert plain_gateway.runtime.settings.auth_cache_s > 0
    created = (
        await plain_gateway.client.post(
            "/v1/tokens", json={"role": "state_system"}, headers=plain_gateway.admin
        )
    ).json()
    headers = _bearer(created["token"])
    assert (await plain_gateway.client.get("/whoami", headers=headers)).status_code == 200
    revoked = await plain_gateway.client.delete(
        f"/v1/tokens/{created['token_id']}", headers=plain_gateway.admin
    )
    assert revoked.status_code == 204
    answer = await plain_gateway.client.get("/whoami", headers=headers)
    _refused(answer, 401, "invalid, revoked or expired token", created["token"])


async def test_a_remembered_token_is_not_looked_up_again(tmp_path: Path) -> None:
    """Within ``auth_cache_s`` a verified token answers without the database: revoked
    behind the gateway's back (another replica), it still works here until then."""
    async for gateway in _gateway(tmp_path, auth_cache_s=3600):
        token = await gateway.token(Role.STATE_SYSTEM)
        assert (await gateway.client.get("/whoami", headers=_bearer(token))).status_code == 200
        async with gateway.runtime.db.sessions() as session:
            await session.execute(text("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP"))
            await session.commit()
        assert (await gateway.client.get("/whoami", headers=_bearer(token))).status_code == 200
        unknown = await gateway.client.get("/whoami", headers=_bearer("atr_never_issued"))
        assert unknown.status_code == 401


async def _expired_is_refused(gateway: Gateway) -> None:
    token = await gateway.token(
        Role.STATE_SYSTEM, expires_at=datetime.now(UTC) + timedelta(seconds=1)
    )
    assert (await gateway.client.get("/whoami", headers=_bearer(token))).status_code == 200
    async with gateway.runtime.db.sessions() as session:
        await session.execute(
            text("UPDATE api_tokens SET expires_at = :past WHERE token_hash = :digest"),
            {
                "past": datetime.now(UTC) - timedelta(minutes=1),
                "digest": hash_token(gateway.runtime.settings.secret_key, token),
            },
        )
        await session.commit()
    answer = await gateway.client.get("/whoami", headers=_bearer(token))
    _refused(answer, 401, "expired", token)


async def test_granted_tokens_carry_scopes_and_expiry_and_are_listed_without_values(
    gateway: Gateway,
) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    granted = await gateway.client.post(
        "/v1/tokens",
        headers=gateway.admin,
        json={
            "role": "provider",
            "provider_id": "PRV-0042",
            "label": "Hope EHR read-only",
            "scopes": ["atr:read"],
            "expires_at": expires_at.isoformat(),
        },
    )
    assert granted.status_code == 201, granted.text
    created = granted.json()
    assert created["scopes"] == ["atr:read"]
    reader = _bearer(created["token"])
    assert (await gateway.client.get("/whoami", headers=reader)).json()["provider_id"] == (
        "PRV-0042"
    )
    _refused(
        await gateway.client.post("/whoami", headers=reader), 403, "atr:write", created["token"]
    )

    listed = await gateway.client.get("/v1/tokens", headers=gateway.admin)
    assert listed.status_code == 200, listed.text
    assert created["token"] not in listed.text
    assert "token_hash" not in listed.text
    by_id = {entry["token_id"]: entry for entry in listed.json()["tokens"]}
    entry = by_id[created["token_id"]]
    assert entry["state"] == "active"
    assert entry["scopes"] == ["atr:read"]
    assert entry["provider_id"] == "PRV-0042"
    assert datetime.fromisoformat(entry["expires_at"]) == expires_at
    assert next(e for e in by_id.values() if e["label"] == "test admin")["scopes"] is None

    revoked = await gateway.client.delete(
        f"/v1/tokens/{created['token_id']}", headers=gateway.admin
    )
    assert revoked.status_code == 204
    active = (await gateway.client.get("/v1/tokens", headers=gateway.admin)).json()["tokens"]
    assert created["token_id"] not in {e["token_id"] for e in active}
    every = await gateway.client.get(
        "/v1/tokens", headers=gateway.admin, params={"include_inactive": "true"}
    )
    states = {e["token_id"]: e["state"] for e in every.json()["tokens"]}
    assert states[created["token_id"]] == "revoked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "admin", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"role": "admin", "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
        ({"role": "admin", "scopes": []}, "scopes"),
        ({"role": "admin", "scopes": ["claims:delete"]}, "scopes"),
    ],
)
async def test_a_bad_expiry_or_scope_is_a_422_naming_it(
    gateway: Gateway, body: dict[str, Any], field: str
) -> None:
    answer = await gateway.client.post("/v1/tokens", headers=gateway.admin, json=body)
    assert answer.status_code == 422, answer.text
    assert [field] == [error["loc"][1] for error in answer.json()["errors"]]


async def test_tokens_made_before_expiry_and_scopes_stay_valid(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    config = alembic_config("gateway", url)
    await asyncio.to_thread(command.upgrade, config, "0003")
    secret = Settings().secret_key
    db = Database(url)
    try:
        async with db.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO api_tokens (token_id, token_hash, role, provider_id, created_at)"
                    " VALUES ('legacy', :digest, 'provider', 'PRV-OLD', :now)"
                ),
                {"digest": hash_token(secret, "atr_legacy"), "now": datetime.now(UTC)},
            )
            await session.commit()
        await asyncio.to_thread(command.upgrade, config, "head")
        async with db.sessions() as session:
            principal = await authenticate(session, secret, "atr_legacy")
    finally:
        await db.dispose()
    assert principal is not None
    assert (principal.role, principal.provider_id, principal.scopes) == (
        Role.PROVIDER,
        "PRV-OLD",
        None,
    )
    assert principal.may("POST")


def test_scopes_narrow_within_the_role() -> None:
    reader = Principal("t", Role.ADMIN, scopes=frozenset({Scope.READ}))
    writer = Principal("t", Role.ADMIN, scopes=frozenset({Scope.WRITE}))
    assert [reader.may(m) for m in ("GET", "HEAD", "POST", "DELETE")] == [1, 1, 0, 0]
    assert [writer.may(m) for m in ("GET", "POST", "PATCH")] == [0, 1, 1]
