"""The gateway's report routes (SPEC §4 ``GET /v1/reports/...``): admin and state_system
only (403 otherwise), the period and date validated (422 naming the field), and what
the gateway forwards to reporting. Reporting is an httpx fake answering the forward."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints import outcome_reports
from services.gateway.entrypoints.auth import current_principal
from services.gateway.settings import GatewaySettings
from services.kit.http import install_problem_details
from services.kit.settings import Settings


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


@dataclass
class Gateway:
    client: httpx.AsyncClient
    forwarded: list[httpx.URL]
    role: Role = Role.ADMIN


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    forwarded: list[httpx.URL] = []

    def reporting(request: httpx.Request) -> httpx.Response:
        forwarded.append(request.url)
        return httpx.Response(
            200, text="section,measure,value,percent\n", headers={"content-type": "text/csv"}
        )

    app = FastAPI()
    install_problem_details(app)
    app.include_router(outcome_reports.router)
    app.state.runtime = Runtime(GatewaySettings(service="gateway", data_dir=tmp_path))
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(reporting))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        fake = Gateway(client, forwarded)

        async def principal() -> Principal:
            return Principal(token_id="tok", role=fake.role)

        app.dependency_overrides[current_principal] = principal
        yield fake
    await app.state.http.aclose()


ROUTES = (
    ("/v1/reports/gpra", {"period": "2027Q2"}, "/reports/gpra"),
    ("/v1/reports/follow-up", {"as_of": "2027-01-15"}, "/reports/follow-up"),
    ("/v1/reports/outcomes", {"period": "2027Q2"}, "/reports/outcomes"),
)


@pytest.mark.parametrize("role", list(Role))
async def test_only_admins_and_state_systems_read_the_reports(gateway: Gateway, role: Role) -> None:
    client, forwarded = gateway.client, gateway.forwarded
    gateway.role = role
    for path, params, internal in ROUTES:
        answer = await client.get(path, params={**params, "format": "csv"})
        if role in (Role.ADMIN, Role.STATE_SYSTEM):
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("text/csv")
            assert forwarded[-1].path == internal
            assert forwarded[-1].params["format"] == "csv"
        else:
            assert answer.status_code == 403, (path, role)
    if role not in (Role.ADMIN, Role.STATE_SYSTEM):
        assert forwarded == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/reports/gpra", {"period": "2027-06"}, "period"),
        ("/v1/reports/gpra", {"period": "2027Q5"}, "period"),
        ("/v1/reports/gpra", {}, "period"),
        ("/v1/reports/outcomes", {"period": "Q2"}, "period"),
        ("/v1/reports/follow-up", {"as_of": "2027-13-01"}, "as_of"),
        ("/v1/reports/gpra", {"period": "2027Q2", "format": "xml"}, "format"),
    ],
)
async def test_a_bad_parameter_is_a_422_naming_it(
    gateway: Gateway,
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    client, forwarded = gateway.client, gateway.forwarded
    answer = await client.get(path, params=params)
    assert answer.status_code == 422
    assert field in answer.text
    assert forwarded == []
