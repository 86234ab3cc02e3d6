"""``GET /v1/claims`` through the gateway (SPEC §4): the gateway's route in front of the
claims service's real internal API and database (signed caller assertions and all),
with payments an honest fake that answers a page's fundings.

A provider pages through its own lines with the cursor and gets each as
``GET /v1/claims/{id}`` shows it (funding included); naming another provider is 403;
admin reads any provider's; bad cursor, status and date are 422 naming the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Query

from contracts.api.payments import Funding
from services.claims.adapters.orm import metadata
from services.claims.entrypoints.http import router as claims_internal
from services.claims.settings import ClaimsSettings
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints import claims as claim_routes
from services.gateway.entrypoints.auth import current_principal
from services.kit.http import install_problem_details
from services.kit.migrations import upgrade_to_head
from services.kit.runtime import ServiceRuntime
from tests.claims.test_claim_list import Writer, allowed, line

FUNDING = Funding(
    funded=True,
    fiscal_year=2027,
    quarter=1,
    amount=Decimal("50.00"),
    payable=Decimal("45.00"),
    holdback=Decimal("5.00"),
    reason=None,
    invoice_state="not_invoiced",
    run_id=None,
    invoice_id=None,
    holdback_state="open",
    adjusted=Decimal("0.00"),
)


class ByHost(httpx.AsyncBaseTransport):
    """The gateway's HTTP client, answered in process by each service's ASGI app."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.transports = {host: httpx.ASGITransport(app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transports[request.url.host].handle_async_request(request)


def fake_payments(asked: list[list[str]]) -> FastAPI:
    """Payments' ``GET /fundings``: every line it is asked about is funded."""
    app = FastAPI()

    @app.get("/fundings")
    async def fundings(claim_id: list[str] = Query()) -> dict[str, Any]:
        asked.append(claim_id)
        return {each: FUNDING.model_dump(mode="json") for each in claim_id}

    return app


@dataclass
class Gateway:
    client: httpx.AsyncClient
    writer: Writer
    caller: dict[str, Principal]
    fundings_asked: list[list[str]] = field(default_factory=list)

    def act_as(self, principal: Principal) -> None:
        self.caller["now"] = principal


@pytest.fixture
async def gateway(database_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = ClaimsSettings(
        service="claims",
        data_dir=tmp_path,
        database_url=database_url,
        claims_url="http://claims",
        payments_url="http://payments",
    )
    claims = ServiceRuntime("claims", metadata, settings)
    await asyncio.to_thread(upgrade_to_head, "claims", claims.db.url)
    asked: list[list[str]] = []
    app = FastAPI()
    app.include_router(claim_routes.router)
    install_problem_details(app)
    app.state.runtime = SimpleNamespace(settings=settings)
    app.state.http = httpx.AsyncClient(
        transport=ByHost(
            {
                "claims": claims.http_app(claims_internal, title="claims"),
                "payments": fake_payments(asked),
            }
        )
    )
    caller = {"now": Principal(token_id="t-p1", role=Role.PROVIDER, provider_id="P1")}
    app.dependency_overrides[current_principal] = lambda: caller["now"]
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway")
    try:
        yield Gateway(client, Writer(claims), caller, asked)
    finally:
        await client.aclose()
        await app.state.http.aclose()
        await claims.db.dispose()


async def test_a_provider_pages_through_its_own_lines_with_their_funding(
    gateway: Gateway,
) -> None:
    writer = gateway.writer
    await writer.store(line("K1", "P1"), line("K2", "P2"), line("K3", "P1"), line("K4", "P1"))
    await writer.decide("K1", allowed(4))
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = await gateway.client.get("/v1/claims", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert [item["claim_id"] for item in seen] == ["K3", "K4", "K1"]
    decided = seen[-1]
    assert (decided["status"], decided["allowed_units"]) == ("approved", 4)
    assert (decided["funding_status"], decided["funding"]["payable"]) == ("funded", "45.00")
    assert seen[0]["funding"] is None  # pending: payments is not asked about it
    assert gateway.fundings_asked == [["K1"]]
    # the last cursor is where to poll from: nothing new yet, then the new decision
    again = (await gateway.client.get("/v1/claims", params={"cursor": cursor})).json()
    assert again["items"] == []
    await writer.decide("K3", allowed(2))
    again = (await gateway.client.get("/v1/claims", params={"cursor": cursor})).json()
    assert [(i["claim_id"], i["status"]) for i in again["items"]] == [("K3", "partially_approved")]


async def test_scope_by_role_and_filters(gateway: Gateway) -> None:
    await gateway.writer.store(line("K1", "P1"), line("K2", "P2"))
    await gateway.writer.decide("K2", allowed(4))
    other = await gateway.client.get("/v1/claims", params={"provider_id": "P2"})
    assert other.status_code == 403
    assert "provider_id" in other.json()["detail"]
    own = await gateway.client.get("/v1/claims", params={"provider_id": "P1"})
    assert [i["claim_id"] for i in own.json()["items"]] == ["K1"]
    gateway.act_as(Principal(token_id="t-a", role=Role.ADMIN))
    everyone = (await gateway.client.get("/v1/claims")).json()
    assert [i["claim_id"] for i in everyone["items"]] == ["K1", "K2"]
    approved = await gateway.client.get(
        "/v1/claims", params={"provider_id": "P2", "status": "approved"}
    )
    assert [i["claim_id"] for i in approved.json()["items"]] == ["K2"]
    for role in (Role.STATE_SYSTEM, Role.ASSESSOR, Role.DOC_THU):
        gateway.act_as(Principal(token_id="t", role=role))
        assert (await gateway.client.get("/v1/claims")).status_code == 403


@pytest.mark.parametrize(
    ("params", "field_name"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "has spaces"}, "cursor"),
        ({"status": "received"}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
async def test_a_bad_parameter_is_422_naming_it(
    gateway: Gateway, params: dict[str, Any], field_name: str
) -> None:
    answer = await gateway.client.get("/v1/claims", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    named = [error["loc"][-1] for error in answer.json()["errors"]]
    assert named == [field_name]


async def test_a_cursor_is_only_good_for_its_filters(gateway: Gateway) -> None:
    await gateway.writer.store(line("K1"), line("K2"))
    first = (await gateway.client.get("/v1/claims", params={"limit": 1})).json()
    answer = await gateway.client.get(
        "/v1/claims", params={"cursor": first["next_cursor"], "status": "denied"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["query", "cursor"]
    dated = await gateway.client.get("/v1/claims", params={"updated_since": "2026-09-01"})
    assert dated.status_code == 200
    assert [i["claim_id"] for i in dated.json()["items"]] == ["K1", "K2"]
