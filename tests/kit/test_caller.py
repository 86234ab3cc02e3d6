"""Signed caller assertions (``services.kit.caller``): internal services trust only the
gateway and each other, never a bare header."""

from __future__ import annotations

import base64
import functools
import importlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Depends, HTTPException

from services.kit import caller
from services.kit.actor import Actor, current_actor
from services.kit.caller import (
    ANONYMOUS,
    CLOCK_SKEW_S,
    HEADER,
    SYSTEM,
    CallerAssertionError,
    CallerAuth,
    sign,
    verify,
)
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings

KEY = "test-internal-key"
NOW = 1_700_000_000.0
PROVIDER = Actor(role="provider", token_id="tok-1", provider_id="PRV-1", organisation_id=None)
ROUTE = {"method": "GET", "path": "/clients/C-1/assessment-summary"}


def _signed(actor: Actor = PROVIDER, key: str = KEY, **route: str) -> str:
    where = {**ROUTE, **route}
    return sign(actor, key, method=where["method"], path=where["path"], ttl_s=30, now=NOW)


def _reason(assertion: str | None, now: float = NOW, key: str = KEY, **route: str) -> str:
    where = {**ROUTE, **route}
    with pytest.raises(CallerAssertionError) as refused:
        verify(assertion, key, method=where["method"], path=where["path"], now=now)
    return str(refused.value)


def test_a_valid_assertion_names_the_caller() -> None:
    assert verify(_signed(), KEY, now=NOW + 29, **ROUTE) == PROVIDER
    assert verify(_signed(SYSTEM), KEY, now=NOW, **ROUTE) == SYSTEM
    assert verify(_signed(ANONYMOUS), KEY, now=NOW, **ROUTE) == ANONYMOUS


def test_the_method_is_compared_without_case() -> None:
    assert verify(_signed(method="get"), KEY, now=NOW, **ROUTE) == PROVIDER


def test_an_expired_assertion_is_refused_after_the_skew_allowance() -> None:
    assert verify(_signed(), KEY, now=NOW + 30 + CLOCK_SKEW_S, **ROUTE) == PROVIDER
    assert _reason(_signed(), now=NOW + 31 + CLOCK_SKEW_S) == "caller assertion expired"


def test_an_assertion_from_the_future_is_refused() -> None:
    assert _reason(_signed(), now=NOW - CLOCK_SKEW_S - 1) == "caller assertion issued in the future"


def test_a_tampered_payload_is_refused() -> None:
    payload, signature = _signed().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _reason(f"{forged}.{signature}") == "caller assertion signature invalid"


def test_another_key_is_refused() -> None:
    assert _reason(_signed(key="someone-elses-key")) == "caller assertion signature invalid"


def test_an_assertion_for_another_route_is_refused() -> None:
    assert _reason(_signed(), method="POST") == "caller assertion is for another route"
    assert _reason(_signed(), path="/clients/C-2/assessment-summary") == (
        "caller assertion is for another route"
    )


@pytest.mark.parametrize("assertion", [None, ""])
def test_a_missing_assertion_is_refused(assertion: str | None) -> None:
    assert _reason(assertion) == "caller assertion missing"


@pytest.mark.parametrize("assertion", ["abc", "abc.", ".abc", "é.é"])
def test_a_malformed_assertion_is_refused(assertion: str) -> None:
    assert _reason(assertion) in (
        "caller assertion malformed",
        "caller assertion signature invalid",
    )


def test_a_well_signed_payload_that_is_not_a_caller_is_malformed() -> None:
    payload = base64.urlsafe_b64encode(b'{"role": 1}').rstrip(b"=").decode()
    assert _reason(f"{payload}.{caller._signature(KEY, payload)}") == "caller assertion malformed"


def test_the_assertion_carries_ids_and_a_role_only() -> None:
    payload = _signed().split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(claims) == {
        "role",
        "token_id",
        "provider_id",
        "organisation_id",
        "method",
        "path",
        "iat",
        "exp",
    }
    assert claims["exp"] - claims["iat"] == 30


def test_caller_auth_signs_each_request_for_its_own_method_and_path() -> None:
    auth = CallerAuth(KEY, 30)
    request = httpx.Request("GET", "http://vouchers/vouchers/V-1?x=1")
    signed = next(auth.auth_flow(request))
    assert verify(signed.headers[HEADER], KEY, method="GET", path="/vouchers/V-1") == SYSTEM


# ---- every internal route of a service app refuses callers without a valid assertion


def _runtime(tmp_path: Path, service: str) -> ServiceRuntime:
    from sqlalchemy import MetaData

    settings = Settings(service=service, data_dir=tmp_path, environment="test", internal_key=KEY)
    return ServiceRuntime(service, MetaData(), settings)


def _probe_router() -> APIRouter:
    router = APIRouter()

    @router.get("/clients/{client_id}/assessment-summary")
    async def summary(client_id: str, actor: Actor = Depends(current_actor)) -> dict[str, str]:
        return {"client_id": client_id, "role": actor.role, "name": "PHI would be here"}

    @router.get("/open")
    async def no_actor_asked() -> dict[str, str]:
        return {"ok": "yes"}

    return router


@pytest.fixture
async def internal(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = _runtime(tmp_path, "probe").http_app(_probe_router(), title="probe")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client


FORGED = {
    "X-ATR-Role": "provider",
    "X-ATR-Token-Id": "tok-1",
    "X-ATR-Provider-Id": "PRV-1",
}


@pytest.mark.parametrize("path", ["/clients/C-1/assessment-summary", "/open"])
async def test_an_internal_route_without_an_assertion_is_401(
    internal: httpx.AsyncClient, path: str
) -> None:
    for headers in ({}, FORGED, {HEADER: "garbage"}):
        answer = await internal.get(path, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert "PHI" not in answer.text
        assert answer.json()["detail"].startswith("caller assertion")


async def test_a_signed_caller_is_the_actor(internal: httpx.AsyncClient) -> None:
    path = "/clients/C-1/assessment-summary"
    answer = await internal.get(
        path, headers={HEADER: sign(PROVIDER, KEY, method="GET", path=path, ttl_s=30)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "provider"
    with_auth = await internal.get(path, auth=CallerAuth(KEY, 30))
    assert with_auth.json()["role"] == "system"


async def test_an_assertion_for_another_route_or_key_is_401(internal: httpx.AsyncClient) -> None:
    elsewhere = sign(PROVIDER, KEY, method="GET", path="/open", ttl_s=30)
    answer = await internal.get("/clients/C-1/assessment-summary", headers={HEADER: elsewhere})
    assert answer.status_code == 401
    answer = await internal.get("/open", auth=CallerAuth("not-the-key", 30))
    assert answer.status_code == 401


async def test_an_anonymous_caller_gets_no_actor(internal: httpx.AsyncClient) -> None:
    anonymous = CallerAuth(KEY, 30, ANONYMOUS)
    assert (await internal.get("/open", auth=anonymous)).status_code == 200
    refused = await internal.get("/clients/C-1/assessment-summary", auth=anonymous)
    assert refused.status_code == 403


async def test_health_and_metrics_need_no_assertion(internal: httpx.AsyncClient) -> None:
    assert (await internal.get("/healthz")).status_code == 200
    assert (await internal.get("/metrics")).status_code == 200
    for docs in ("/docs", "/openapi.json"):  # an internal service publishes no API docs
        assert (await internal.get(docs)).status_code == 404


async def test_the_gateway_authenticates_bearer_tokens_itself(tmp_path: Path) -> None:
    app = _runtime(tmp_path, "gateway").http_app(_probe_router(), title="gateway")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.get("/open")).status_code == 200


@pytest.mark.parametrize("service", ["eligibility", "vouchers", "claims", "payments", "reporting"])
async def test_every_route_of_every_service_refuses_forged_headers(service: str) -> None:
    """The real apps: each route (path ids filled in) answers 401 before doing anything."""
    app = importlib.import_module(f"services.{service}.app").app
    paths = app.openapi()["paths"]  # health, readiness and metrics are not in the schema
    assert paths or service == "payments"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
        for template, methods in paths.items():
            path = template.replace("{", "").replace("}", "")
            for method in methods:
                answer = await client.request(method, path, headers=FORGED)
                assert answer.status_code == 401, (service, method, template, answer.text)
                assert answer.json()["detail"] == "caller assertion missing"


async def test_the_claim_workers_voucher_lookup_signs_as_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``VoucherLookup`` (worker and pending sweeper) gets past the vouchers service's
    check; unsigned, the same lookup would be refused and read as unreachable."""
    from services.claims.adapters.vouchers import HttpVoucherLookup as VoucherLookup
    from services.claims.domain.facts import UNREACHABLE

    router = APIRouter()

    @router.get("/vouchers/{voucher_id}")
    async def unknown(voucher_id: str, actor: Actor = Depends(current_actor)) -> None:
        assert actor == SYSTEM
        raise HTTPException(404, "voucher not found")

    app = _runtime(tmp_path, "vouchers").http_app(router, title="vouchers")
    transport = httpx.ASGITransport(app=app)
    monkeypatch.setattr(
        httpx, "AsyncClient", functools.partial(httpx.AsyncClient, transport=transport)
    )
    signed = VoucherLookup("http://vouchers", CallerAuth(KEY, 30))
    unsigned = VoucherLookup("http://vouchers", httpx.Auth())
    try:
        assert await signed.fetch({"V-1"}) == {"V-1": None}
        assert await unsigned.fetch({"V-1"}) == {"V-1": UNREACHABLE}
    finally:
        await signed.close()
        await unsigned.close()
