"""HTTP request metrics (services/kit/http.py ``RequestMetrics``): every request counted
and timed by method, route template (never the raw path: ids stay out of metrics) and
status; a handler that raises counts as 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from services.kit.http import install_request_metrics
from services.kit.metrics import ServiceMetrics


class _Runtime:
    def __init__(self) -> None:
        self.metrics = ServiceMetrics.create("probe")


def _app(runtime: _Runtime) -> FastAPI:
    app = FastAPI()
    install_request_metrics(app, runtime)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404, "no such thing")
        return {"thing_id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the handler failed")

    return app


def _counted(metrics: ServiceMetrics) -> dict[tuple[str, str, str], float]:
    """(method, route, status) → requests counted, whatever other labels there are."""
    found: dict[tuple[str, str, str], float] = {}
    for family in metrics.http_requests.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                labels = sample.labels
                key = (labels["method"], labels["route"], labels["status"])
                found[key] = found.get(key, 0) + sample.value
    return found


@pytest.mark.asyncio
async def test_requests_are_counted_by_route_template_and_status() -> None:
    runtime = _Runtime()
    transport = httpx.ASGITransport(app=_app(runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        assert (await client.get("/things/CL-0001")).status_code == 200
        assert (await client.get("/things/CL-0002")).status_code == 200
        assert (await client.get("/things/missing")).status_code == 404
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/nowhere/CL-0003")).status_code == 404
    counted = _counted(runtime.metrics)
    assert counted == {
        ("GET", "/things/{thing_id}", "200"): 2,
        ("GET", "/things/{thing_id}", "404"): 1,
        ("GET", "/boom", "500"): 1,
        ("GET", "unmatched", "404"): 1,
    }
    assert not any("CL-000" in route for _, route, _ in counted)
    timed = [
        sample
        for family in runtime.metrics.http_latency.collect()
        for sample in family.samples
        if sample.name.endswith("_count") and sample.labels["route"] == "/things/{thing_id}"
    ]
    assert [sample.value for sample in timed] == [3]
