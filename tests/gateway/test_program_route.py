"""``GET /v1/program`` (SPEC §4 "any token"): the active program's services with their
rates and rules in words (each citing its seed), and the credentials and activities the
catalog knows; every role may read it, no token may not."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from programs.loader import load_catalog
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints import program
from services.gateway.entrypoints.auth import current_principal
from services.kit.http import install_problem_details
from services.kit.settings import Settings


def gateway(program_name: str, principal: Principal | None) -> TestClient:
    app = FastAPI()
    app.include_router(program.router)
    install_problem_details(app)
    app.state.runtime = SimpleNamespace(settings=Settings(program=program_name))

    def who() -> Principal:
        if principal is None:
            raise HTTPException(401, "missing bearer token")
        return principal

    app.dependency_overrides[current_principal] = who
    return TestClient(app)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_program(role: Role) -> None:
    provider_id = "P1" if role is Role.PROVIDER else None
    client = gateway("missouri_atr2", Principal(token_id="t", role=role, provider_id=provider_id))
    answer = client.get("/v1/program")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    catalog = load_catalog("missouri_atr2")
    assert body["program"] == "missouri_atr2"
    assert [s["code"] for s in body["services"]] == list(catalog.services)
    mentoring = next(s for s in body["services"] if s["code"] == "RECOVERY_MENTORING_IND")
    assert mentoring["rate"] == str(catalog.rate_of("RECOVERY_MENTORING_IND"))
    assert mentoring["rules"][0]["kind"] == "price"
    assert {"level_one_cap", "qualification"} <= {rule["kind"] for rule in mentoring["rules"]}
    assert all(len(rule["source"]) >= 8 for rule in mentoring["rules"])
    credentials = {c["code"]: c["services"] for c in body["credentials"]}
    assert "RECOVERY_MENTORING_IND" in credentials["addictions_academy_graduate"]


def test_no_token_is_401() -> None:
    assert gateway("missouri_atr2", None).get("/v1/program").status_code == 401


def test_activities_come_from_the_active_catalog() -> None:
    client = gateway("missouri_community_support", Principal(token_id="t", role=Role.ADMIN))
    activities = client.get("/v1/program").json()["activities"]
    assert activities
    assert {a["billable"] for a in activities} == {True, False}


@pytest.mark.parametrize("program_name", ["missouri_atr2", "illinois_atr3"])
def test_each_service_shows_its_hcpcs_code_and_modifiers(program_name: str) -> None:
    client = gateway(program_name, Principal(token_id="t", role=Role.ADMIN))
    body = client.get("/v1/program").json()
    catalog = load_catalog(program_name)
    assert body["timely_filing_days"] == catalog.timely_filing_days
    for service in body["services"]:
        expected = catalog.hcpcs_of(service["code"])
        assert expected is not None
        assert service["hcpcs"]["code"] == expected.code
        assert service["hcpcs"]["modifiers"] == expected.modifiers
        assert service["hcpcs"]["source"] == "local"
