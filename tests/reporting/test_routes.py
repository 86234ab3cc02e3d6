"""The report routes end to end in process (SPEC §4): the gateway's ``/v1/reports/...``
lets admins and state systems read (others 403), validates the period (422 naming
``period``) and forwards, signed, to reporting, whose routes refuse unsigned callers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Depends, FastAPI

from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints import reports as gateway_reports
from services.gateway.entrypoints.auth import current_principal
from services.gateway.settings import GatewaySettings
from services.kit.caller import require_caller
from services.kit.http import install_problem_details
from services.kit.settings import Settings
from services.reporting.entrypoints.http import router as reporting_router
from tests.reporting import test_provider_cards
from tests.reporting.conftest import Reporting


@dataclass
class Platform:
    gateway: httpx.AsyncClient
    reporting: httpx.AsyncClient
    role: list[Role]


@pytest.fixture
async def platform(reporting: Reporting) -> AsyncIterator[Platform]:
    settings = GatewaySettings(service="gateway", reporting_url="http://reporting")
    internal = FastAPI()
    internal.include_router(
        reporting_router, dependencies=[Depends(require_caller(settings.internal_key))]
    )
    internal.state.runtime = SimpleNamespace(
        settings=Settings(service="reporting"), unit_of_work=reporting.uow
    )
    install_problem_details(internal)
    role = [Role.ADMIN]
    edge = FastAPI()
    edge.include_router(gateway_reports.router)
    edge.dependency_overrides[current_principal] = lambda: Principal("tok", role[0], "P1")
    install_problem_details(edge)
    to_reporting = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=internal), base_url="http://reporting"
    )
    edge.state.runtime = SimpleNamespace(settings=settings)
    edge.state.http = to_reporting
    await reporting.feed(test_provider_cards.scenario())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=edge), base_url="http://gateway"
    ) as gateway:
        yield Platform(gateway, to_reporting, role)
    await to_reporting.aclose()


@pytest.mark.parametrize("name", ["financial", "providers", "integrity"])
async def test_report_routes(platform: Platform, name: str) -> None:
    for role in (Role.PROVIDER, Role.ASSESSOR, Role.DOC_THU):
        platform.role[0] = role
        assert (
            await platform.gateway.get(f"/v1/reports/{name}", params={"period": "2027Q2"})
        ).status_code == 403
    for role in (Role.ADMIN, Role.STATE_SYSTEM):
        platform.role[0] = role
        answer = await platform.gateway.get(f"/v1/reports/{name}", params={"period": "2027Q2"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["period"] == "2027Q2"
        csv = await platform.gateway.get(
            f"/v1/reports/{name}", params={"period": "2027", "format": "csv"}
        )
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.startswith("# period,2027,2026-07-01,2027-06-30\r\n")
    for bad in ("2027Q5", "27Q1", "2027-10", ""):
        answer = await platform.gateway.get(f"/v1/reports/{name}", params={"period": bad})
        assert answer.status_code == 422
        assert [e["loc"] for e in answer.json()["errors"]] == [["query", "period"]]
    unsigned = await platform.reporting.get(f"/reports/{name}", params={"period": "2027Q2"})
    assert unsigned.status_code == 401


async def test_a_provider_card_through_the_gateway(platform: Platform) -> None:
    platform.role[0] = Role.STATE_SYSTEM
    answer = await platform.gateway.get("/v1/reports/providers", params={"period": "2027Q2"})
    cards = {c["provider_id"]: c for c in answer.json()["providers"]}
    assert cards["P2"]["ineligible_next_year"] is True
    assert cards["P2"]["holdbacks_forfeited"] == "0.50"
