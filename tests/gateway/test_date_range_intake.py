"""Date-range claim lines at the edge: ``service_date_to`` bills a per-diem stay on one
line (one unit a day). Only a service billed by the day may carry it, its units must be
its days, it runs forward at most 31 days, and its last day is held to the program's
date window: each otherwise a 422 naming ``service_date_to``. An accepted range travels
on its event to the claim workers and shows on the claim's status; a body without it
keeps the fingerprint it had before the field existed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from contracts.claims import ClaimSubmitted, ClaimSubmittedData, SubmitClaim
from programs.loader import load_catalog
from services.claims.adapters.claim_lines import claim_view, line_from_submitted
from services.gateway.domain.tokens import Principal, Role
from services.gateway.domain.x12_837 import read_837
from services.gateway.entrypoints import claims as claim_routes
from services.gateway.entrypoints.auth import current_principal
from services.gateway.service_layer.claims import body_hash, service_date_errors
from services.gateway.service_layer.x12 import service_resolver
from services.kit.http import install_validation_errors
from services.kit.settings import Settings
from tests.gateway.x12_build import Claim, Line, build_837

MO = load_catalog("missouri_atr2")
TODAY = datetime.now(UTC).date()


def stay(nights: int = 3, first: date | None = None, **changes: Any) -> dict[str, Any]:
    """An emergency housing stay of ``nights`` days on one line."""
    start = first or TODAY - timedelta(days=10)
    body: dict[str, Any] = {
        "claim_ref": "R-1",
        "provider_id": "P1",
        "client_id": "C1",
        "voucher_id": "V1",
        "service_code": "EMERGENCY_HOUSING",
        "service_date": start.isoformat(),
        "service_date_to": (start + timedelta(days=nights - 1)).isoformat(),
        "units": nights,
        "staff_id": "S1",
    }
    body.update(changes)
    return body


@pytest.fixture
def gateway() -> TestClient:
    """The real claim routes with a provider principal; only refused bodies are sent
    (nothing reaches a database)."""
    app = FastAPI()
    install_validation_errors(app)
    app.include_router(claim_routes.router)
    app.state.runtime = SimpleNamespace(settings=Settings(program="missouri_atr2"))
    principal = Principal(token_id="T1", role=Role.PROVIDER, provider_id="P1")
    app.dependency_overrides[current_principal] = lambda: principal
    return TestClient(app)


def refused_at(gateway: TestClient, body: dict[str, Any]) -> list[list[Any]]:
    answer = gateway.post("/v1/claims", json=body)
    assert answer.status_code == 422
    return [e["loc"] for e in answer.json()["errors"]]


def test_a_range_of_a_service_not_billed_by_the_day_is_refused_by_name(
    gateway: TestClient,
) -> None:
    body = stay(
        2,
        service_code="RECOVERY_MENTORING_IND",
        start_time="09:00",
        end_time="10:00",
    )
    assert refused_at(gateway, body) == [["body", "service_date_to"]]
    answer = gateway.post("/v1/claims", json=body)
    assert "15 minutes" in answer.json()["errors"][0]["msg"]


@pytest.mark.parametrize(
    "changes",
    [
        {"units": 2},  # three days billed as two units
        {"units": 4},
        {"service_date_to": (TODAY - timedelta(days=11)).isoformat()},  # before the start
    ],
    ids=["fewer_units", "more_units", "backwards"],
)
def test_a_range_whose_units_are_not_its_days_is_refused_by_name(
    gateway: TestClient, changes: dict[str, Any]
) -> None:
    assert refused_at(gateway, stay(3, **changes)) == [["body", "service_date_to"]]


def test_a_range_spans_at_most_31_days(gateway: TestClient) -> None:
    first = TODAY - timedelta(days=60)
    assert SubmitClaim.model_validate(stay(31, first)).units == 31
    assert refused_at(gateway, stay(32, first)) == [["body", "service_date_to"]]


def test_the_last_day_is_held_to_the_date_window(gateway: TestClient) -> None:
    first = TODAY + timedelta(days=360)
    assert refused_at(gateway, stay(10, first)) == [["body", "service_date_to"]]
    batch = {"claims": [stay(3, claim_ref="A"), stay(10, first, claim_ref="B")]}
    answer = gateway.post("/v1/claims/batch", json=batch)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "claims", 1, "service_date_to"]]


def test_a_per_diem_range_in_the_window_passes_the_catalog_checks() -> None:
    lines = [SubmitClaim.model_validate(stay(3))]
    assert service_date_errors(lines, MO, TODAY, batch=False) == []
    one_day = stay(1)
    assert SubmitClaim.model_validate(one_day).service_date_to is not None
    del one_day["service_date_to"]
    assert SubmitClaim.model_validate(one_day).service_date_to is None


def test_a_body_without_a_range_keeps_its_fingerprint() -> None:
    body = stay(1)
    del body["service_date_to"]
    plain = SubmitClaim.model_validate(body)
    assert body_hash(plain) == body_hash(
        SubmitClaim.model_validate({**body, "service_date_to": None})
    )
    assert "service_date_to" not in plain.model_dump_json(exclude={"service_date_to"})
    ranged = SubmitClaim.model_validate({**body, "service_date_to": body["service_date"]})
    assert body_hash(ranged) != body_hash(plain)


def test_the_range_travels_to_the_workers_and_shows_on_the_status() -> None:
    accepted = SubmitClaim.model_validate(stay(3))
    data = ClaimSubmittedData(
        **accepted.model_dump(), claim_id="K1", submitted_at=datetime.now(UTC)
    )
    event = ClaimSubmitted.model_validate_json(
        ClaimSubmitted(subject="C1", data=data).model_dump_json()
    )
    line = line_from_submitted(event.data)
    assert line.service_date_to == accepted.service_date_to
    assert len(line.days) == 3
    row = SimpleNamespace(
        claim_id="K1",
        claim_ref="R-1",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code="EMERGENCY_HOUSING",
        service_date=accepted.service_date,
        service_date_to=accepted.service_date_to,
        status="approved",
        billed_units=3,
        allowed_units=3,
        denied_units=0,
        unit_rate=Decimal("25.00"),
        allowed_amount=Decimal("75.00"),
        denied_amount=Decimal("0.00"),
        reasons=[],
        submitted_at=datetime.now(UTC),
        decided_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    assert claim_view(row).service_date_to == accepted.service_date_to


def test_an_event_without_a_range_is_a_one_day_line() -> None:
    body = stay(1)
    del body["service_date_to"]
    data = ClaimSubmittedData(**body, claim_id="K1", submitted_at=datetime.now(UTC))
    assert line_from_submitted(data).days == (data.service_date,)


def test_the_contract_names_service_date_to() -> None:
    with pytest.raises(ValidationError) as raised:
        SubmitClaim.model_validate(stay(3, units=1))
    assert [e["loc"] for e in raised.value.errors()] == [("service_date_to",)]


def test_an_837_rd8_range_of_several_days_is_one_date_range_line() -> None:
    """A 2400 ``DTP*472*RD8`` of several days is ``service_date`` to
    ``service_date_to``; its units must be its days (the claim is rejected naming the
    element otherwise)."""
    first = date(2026, 11, 16)
    stay_line = Line("H0043", 3, first, service_date_to=first + timedelta(days=2))
    mentoring = Line("H0038", 2, first, modifiers=["HQ"], service_date_to=first + timedelta(1))
    text = build_837(
        [
            Claim("EHR-1", "CL-1", "VCH-1", [stay_line]),
            Claim("EHR-2", "CL-1", "VCH-1", [replace(stay_line, units=2)]),
            Claim("EHR-3", "CL-1", "VCH-1", [mentoring]),
        ]
    )
    reading = read_837(text, service_resolver(MO))
    assert reading.accepted
    ranged, wrong_units, _ = reading.claims
    [line] = ranged.lines
    assert (line.service_code, line.service_date, line.service_date_to, line.units) == (
        "EMERGENCY_HOUSING",
        first,
        first + timedelta(days=2),
        3,
    )
    assert wrong_units.error is not None
    assert "service_date_to (DTP*472 RD8)" in wrong_units.error
