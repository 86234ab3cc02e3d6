"""One error format everywhere: RFC 9457 problem details (contracts/api/errors.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict

from contracts.api.errors import ERROR_RESPONSES, PROBLEM_CONTENT_TYPE, Problem
from services.kit.http import BodySizeLimit, install_problem_details, problem


class Intake(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ssn: str
    units: int


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_details(app)

    @app.post("/intake")
    async def intake(body: Intake) -> dict[str, int]:
        return {"units": body.units}

    @app.get("/refused")
    async def refused() -> None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/conflict")
    async def conflict() -> object:
        return problem(409, "voucher is closed", current_status="closed")

    app.add_middleware(BodySizeLimit, max_bytes=100)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _problem(answer: httpx.Response, status: int, slug: str) -> Problem:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_CONTENT_TYPE
    found = Problem.model_validate(answer.json())
    assert found.status == status
    assert found.type == f"https://atr.example/problems/{slug}"
    assert found.title
    return found


async def test_422_lists_each_field_and_never_the_value(client: httpx.AsyncClient) -> None:
    answer = await client.post("/intake", json={"ssn": "123-45-6789", "units": "many", "x": 1})
    found = _problem(answer, 422, "validation")
    assert found.errors is not None
    assert sorted(tuple(e.loc) for e in found.errors) == [("body", "units"), ("body", "x")]
    assert all(e.type for e in found.errors)
    assert "123-45-6789" not in answer.text
    assert "many" not in answer.text


async def test_http_exceptions_keep_their_message_and_headers(client: httpx.AsyncClient) -> None:
    answer = await client.get("/refused")
    assert _problem(answer, 401, "unauthorized").detail == "missing bearer token"
    assert answer.headers["www-authenticate"] == "Bearer"
    _problem(await client.get("/nowhere"), 404, "not-found")


async def test_extension_members_and_the_413_are_problems(client: httpx.AsyncClient) -> None:
    found = _problem(await client.get("/conflict"), 409, "conflict")
    assert found.model_extra == {"current_status": "closed"}
    big = await client.post("/intake", content=b"x" * 200)
    assert "exceeds 100 bytes" in _problem(big, 413, "payload-too-large").detail


def test_every_documented_refusal_is_a_problem_with_an_example() -> None:
    for status, documented in ERROR_RESPONSES.items():
        assert documented["model"] is Problem
        example = documented["content"][PROBLEM_CONTENT_TYPE]["example"]
        assert Problem.model_validate(example).status == status


def test_the_gateway_documents_every_answer() -> None:
    """Every gateway operation: a readable operation id, a success body schema (but for
    204; JSON, FHIR JSON for the FHIR routes, or X12 for the route that answers an X12
    document) and its refusals as problem details only."""
    from services.gateway.app import app

    operations = [
        operation for methods in app.openapi()["paths"].values() for operation in methods.values()
    ]
    assert len({o["operationId"] for o in operations}) == len(operations)
    for operation in operations:
        assert operation["operationId"].isalnum(), operation["operationId"]
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if status.startswith("2") and status != "204":
                # JSON, or the one document format a route answers in (FHIR, X12 835)
                body = (
                    content.get("application/json")
                    or content.get("application/fhir+json")
                    or content.get("application/edi-x12")
                )
                assert body is not None, operation["operationId"]
                assert "schema" in body, operation["operationId"]
            if status[0] in "45":
                assert list(content) == [PROBLEM_CONTENT_TYPE], (operation["operationId"], status)
                assert "example" in content[PROBLEM_CONTENT_TYPE]
