"""The dashboard's files (SPEC §3.6): served by the gateway at ``/dashboard/`` with a
same-origin Content-Security-Policy, kept out of the OpenAPI document, and referring to
no other host (the vendored Chart.js names its home pages in its licence comments only)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.entrypoints.dashboard import DASHBOARD_DIR, mount_dashboard

URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'`)]*")
LICENCE_COMMENT = re.compile(r"^/\*!?\n.*?\*/", re.DOTALL | re.MULTILINE)
VENDORED = DASHBOARD_DIR / "vendor" / "chart.umd.js"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    mount_dashboard(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        yield client


async def test_the_page_and_its_scripts_are_served_with_a_same_origin_policy(
    client: httpx.AsyncClient,
) -> None:
    opened = await client.get("/dashboard")
    assert opened.status_code == 307
    assert opened.headers["location"] == "/dashboard/"
    page = await client.get("/dashboard/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("dashboard.js", "dashboard.css", "vendor/chart.umd.js"):
        assert f'"{asset}"' in page.text
        answer = await client.get(f"/dashboard/{asset}")
        assert answer.status_code == 200, asset
        assert "content-security-policy" in answer.headers
    assert (await client.get("/dashboard/nothing.js")).status_code == 404


async def test_the_dashboard_is_not_an_api_route(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert not any(path.startswith("/dashboard") for path in schema.get("paths", {}))


def test_no_file_refers_to_another_host() -> None:
    files = [p for p in DASHBOARD_DIR.rglob("*") if p.is_file() and p != VENDORED]
    assert {p.name for p in files} >= {"index.html", "dashboard.js", "dashboard.css"}
    for path in files:
        assert not URL.findall(path.read_text(encoding="utf-8")), path
    # the vendored build: addresses only inside its licence comments (Chart.js, @kurkle/color)
    vendored = VENDORED.read_text(encoding="utf-8")
    licences = LICENCE_COMMENT.findall(vendored)
    assert len(licences) == 2
    assert all(URL.findall(comment) for comment in licences)
    assert not URL.findall(LICENCE_COMMENT.sub("", vendored))
