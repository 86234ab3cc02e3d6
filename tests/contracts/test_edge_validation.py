"""Every input is checked at the edge.

A body the gateway accepts must be decidable by the workers: times of day without an
offset and in order, short free text without control characters, constrained ids and
codes, plausible dates, and a claim's service date inside the program's window (422
naming the field, in FastAPI's ``loc`` format). Events already on the topic from older
gateways stay readable where the worker can still decide them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from contracts.api.clients import Intake, RecordConsent, RecordDrugTest
from contracts.api.providers import AddStaff, RegisterProvider, UpdateProvider
from contracts.api.tokens import CreateToken
from contracts.api.vouchers import CreateVoucher, ExtendVoucher, ReportAdmission
from contracts.claims import ClaimSubmitted, ClaimSubmittedData, SubmitClaim
from programs.loader import load_catalog
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints import claims as claim_routes
from services.gateway.entrypoints.auth import current_principal
from services.gateway.service_layer.claims import service_date_errors
from services.kit.http import install_validation_errors
from services.kit.settings import Settings

MO = load_catalog("missouri_atr2")


def claim(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "claim_ref": "R-1",
        "provider_id": "P1",
        "client_id": "C1",
        "voucher_id": "V1",
        "service_code": "RECOVERY_MENTORING_IND",
        "service_date": datetime.now(UTC).date().isoformat(),
        "units": 4,
        "staff_id": "S1",
        "start_time": "09:00",
        "end_time": "10:00",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def errors_of(model: type[BaseModel], body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return {tuple(e["loc"]): e["msg"] for e in caught.value.errors()}


# --- SubmitClaim ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("11:00Z", "11:15", "start_time"),
        ("11:00", "11:15+02:00", "end_time"),
        ("11:00-05:00", "11:15", "start_time"),
    ],
)
def test_a_time_with_a_utc_offset_is_refused_naming_the_field(
    start: str, end: str, field: str
) -> None:
    """The defect: "11:00Z" with "11:15" was accepted and the worker raised on it."""
    errors = errors_of(SubmitClaim, claim(start_time=start, end_time=end))
    assert list(errors) == [(field,)]
    assert "offset" in errors[(field,)]


@pytest.mark.parametrize(("start", "end"), [("11:15", "11:00"), ("11:00", "11:00")])
def test_an_end_not_after_the_start_is_refused_on_end_time(start: str, end: str) -> None:
    errors = errors_of(SubmitClaim, claim(start_time=start, end_time=end))
    assert list(errors) == [("end_time",)]


def test_times_in_order_or_only_one_of_them_are_accepted() -> None:
    assert SubmitClaim.model_validate(claim()).end_time == time(10)
    assert SubmitClaim.model_validate(claim(end_time=None)).start_time == time(9)
    assert SubmitClaim.model_validate(claim(start_time=None, end_time="08:00")).end_time


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("activity", "mentoring\nsession"),
        ("activity", "tab\there"),
        ("pass_serial", "A1\x00"),
        ("pass_serial", "del\x7f"),
        ("activity", "x" * 65),
        ("service_code", "RECOVERY MENTORING"),
        ("service_code", "RECOVERY-MENTORING"),
        ("claim_ref", "R 1"),
        ("staff_id", "S1/../x"),
        ("voucher_id", "V" * 65),
    ],
)
def test_text_codes_and_ids_are_constrained(field: str, value: str) -> None:
    assert list(errors_of(SubmitClaim, claim(**{field: value}))) == [(field,)]


def test_ordinary_text_passes() -> None:
    line = SubmitClaim.model_validate(claim(activity="care_coordination", pass_serial="MB-2026/17"))
    assert line.activity == "care_coordination"


def test_an_error_never_echoes_the_value() -> None:
    """The gateway's 422 shows loc, msg and type only; the message must not quote the
    value either (it could be PHI typed into the wrong field)."""
    secret = "John Doe 123-45-6789\n"
    errors = errors_of(SubmitClaim, claim(activity=secret))
    assert all(secret.strip() not in msg for msg in errors.values())


# --- the event the worker reads ------------------------------------------------------


def submitted(**changes: Any) -> dict[str, Any]:
    return {
        **claim(**changes),
        "claim_id": "CLM-1",
        "submitted_at": "2026-09-15T12:00:00Z",
    }


def test_every_accepted_line_makes_a_readable_event() -> None:
    line = SubmitClaim.model_validate(claim(activity="care_coordination"))
    data = ClaimSubmittedData(**line.model_dump(), claim_id="CLM-1", submitted_at=datetime.now(UTC))
    event = ClaimSubmitted(subject="C1", data=data)
    assert ClaimSubmitted.model_validate_json(event.to_bytes()) == event


def test_events_older_gateways_accepted_are_still_read_where_they_can_be_decided() -> None:
    """An end before the start, an odd service code and free text the new edge refuses
    were accepted before: the worker reads such a line and decides it (0 minutes,
    NOT_BILLABLE) instead of dead-lettering it."""
    old = ClaimSubmittedData.model_validate(
        submitted(
            start_time="11:15",
            end_time="11:00",
            service_code="recovery mentoring",
            activity="a\tb",
        )
    )
    assert (old.start_time, old.end_time) == (time(11, 15), time(11))
    assert old.service_code == "recovery mentoring"


def test_an_old_event_with_an_offset_time_is_refused_so_it_is_dead_lettered() -> None:
    """Its wall-clock time cannot be known; the worker dead-letters what fails here."""
    errors = errors_of(ClaimSubmittedData, submitted(start_time="11:00Z", end_time="11:15"))
    assert list(errors) == [("start_time",)]


# --- request bodies in contracts/api -------------------------------------------------


PERSON = {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1980-01-01"}
TEST = {"tested_on": "2026-01-01", "random": True, "result": "negative"}
CONSENT = {"provider_id": "P1", "signed_on": "2026-01-01"}
VOUCHER = {"client_id": "C1", "authorized_services": [{"service_code": "X", "units": 1}]}
PROVIDER = {"name": "Hope", "services": ["RECOVERY_MENTORING_IND"], "counties": ["St. Louis"]}


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (Intake, {**PERSON, "given_name": "Ann\x1b[2J"}, "given_name"),
        (Intake, {**PERSON, "family_name": "L" * 101}, "family_name"),
        (Intake, {**PERSON, "date_of_birth": "1880-01-01"}, "date_of_birth"),
        (Intake, {**PERSON, "date_of_birth": "2999-01-01"}, "date_of_birth"),
        (RecordDrugTest, {**TEST, "tested_on": "0001-01-01"}, "tested_on"),
        (RecordDrugTest, {**TEST, "provider_id": "P 1"}, "provider_id"),
        (RecordConsent, {**CONSENT, "expires_on": "9999-12-31"}, "expires_on"),
        (CreateToken, {"role": "admin", "label": "line\nbreak"}, "label"),
        (CreateToken, {"role": "provider", "provider_id": "P1;drop"}, "provider_id"),
        (ExtendVoucher, {"new_valid_until": "2027-01-01", "reason": "ok\rnot ok"}, "reason"),
        (ReportAdmission, {"admitted_on": "1970-01-01"}, "admitted_on"),
        (CreateVoucher, {**VOUCHER, "client_id": "C 1"}, "client_id"),
        (RegisterProvider, {**PROVIDER, "name": "Hope\u0000"}, "name"),
        (
            RegisterProvider,
            {**PROVIDER, "religious_affiliation": "x" * 101},
            "religious_affiliation",
        ),
        (UpdateProvider, {"counties": ["Boone\n"]}, ("counties", 0)),
        (UpdateProvider, {"services": ["RECOVERY MENTORING"]}, ("services", 0)),
        (AddStaff, {"staff_id": "S1", "credentials": ["CADC; rm"]}, ("credentials", 0)),
        (
            AddStaff,
            {"staff_id": "S1", "background_check_date": "1900-01-01"},
            "background_check_date",
        ),
    ],
)
def test_api_bodies_bound_text_constrain_ids_and_check_dates(
    model: type[BaseModel], body: dict[str, Any], field: str | tuple[Any, ...]
) -> None:
    assert list(errors_of(model, body)) == [field if isinstance(field, tuple) else (field,)]


def test_api_bodies_accept_ordinary_values() -> None:
    Intake.model_validate(
        {"given_name": "Zoë", "family_name": "O'Neil-Smith", "date_of_birth": "1950-02-28"}
    )
    RecordConsent.model_validate(
        {"provider_id": "PRV-0A1B", "signed_on": "2026-01-01", "expires_on": "2027-01-01"}
    )
    RegisterProvider.model_validate({**PROVIDER, "religious_affiliation": "Latter-day Saints"})
    AddStaff.model_validate(
        {"staff_id": "STF-17", "credentials": ["CADC", "bachelors_human_services"]}
    )
    CreateVoucher.model_validate(
        {
            "client_id": "CL-ABC123",
            "assessment_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "authorized_services": [{"service_code": "X", "units": 1}],
        }
    )


# --- service dates at the gateway ----------------------------------------------------

TODAY = date(2026, 9, 15)


def lines(*days: date) -> list[SubmitClaim]:
    return [
        SubmitClaim.model_validate(claim(claim_ref=f"R-{i}", service_date=d.isoformat()))
        for i, d in enumerate(days)
    ]


def test_the_service_date_window_is_the_programs_start_to_366_days_ahead() -> None:
    first, last = MO.earliest_service_date, TODAY + timedelta(days=366)
    inside = [first, TODAY, TODAY + timedelta(days=30), last]
    assert service_date_errors(lines(*inside), MO, TODAY, batch=True) == []
    outside = [first - timedelta(days=1), last + timedelta(days=1), date(1, 1, 1)]
    errors = service_date_errors(lines(TODAY, *outside), MO, TODAY, batch=True)
    assert [e["loc"] for e in errors] == [("body", "claims", i, "service_date") for i in (1, 2, 3)]
    single = service_date_errors(lines(date(9999, 12, 31)), MO, TODAY, batch=False)
    assert [e["loc"] for e in single] == [("body", "service_date")]
    assert "9999" not in single[0]["msg"]


def test_every_catalog_has_a_plausible_earliest_service_date() -> None:
    from programs.loader import available_programs

    for program in available_programs():
        catalog = load_catalog(program)
        assert date(2000, 1, 1) <= catalog.earliest_service_date <= date(2026, 1, 1), program
        assert catalog.earliest_service_date_source


@pytest.fixture
def gateway() -> TestClient:
    """The real claim routes with a provider principal; nothing reaches a database when
    the body is refused (and the tests below only send refused bodies)."""
    app = FastAPI()
    install_validation_errors(app)
    app.include_router(claim_routes.router)
    app.state.runtime = SimpleNamespace(settings=Settings(program="missouri_atr2"))
    principal = Principal(token_id="T1", role=Role.PROVIDER, provider_id="P1")
    app.dependency_overrides[current_principal] = lambda: principal
    return TestClient(app)


def test_post_claims_refuses_an_offset_time_and_a_date_out_of_window(gateway: TestClient) -> None:
    answer = gateway.post("/v1/claims", json=claim(start_time="11:00Z", end_time="11:15"))
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "start_time"]]
    far = (datetime.now(UTC).date() + timedelta(days=400)).isoformat()
    answer = gateway.post("/v1/claims", json=claim(service_date=far))
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "service_date"]]
    assert far not in answer.text


def test_group_clients_are_among_the_participants(gateway: TestClient) -> None:
    """``group_size`` counts participants, ``group_clients`` the clients among them
    (seed 000 §8 "two or more consumers and any members of the family support
    system"): more clients than participants is a 422 naming ``group_clients``; the
    field is optional and carried to the event the workers read."""
    body = claim(service_code="FAMILY_ENGAGEMENT_GRP", group_size=3, group_clients=4)
    answer = gateway.post("/v1/claims", json=body)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "group_clients"]]
    accepted = SubmitClaim.model_validate(claim(group_size=5, group_clients=2))
    assert accepted.group_clients == 2
    assert SubmitClaim.model_validate(claim()).group_clients is None
    data = ClaimSubmittedData(
        **accepted.model_dump(), claim_id="K1", submitted_at=datetime.now(UTC)
    )
    assert ClaimSubmitted(subject="C1", data=data).data.group_clients == 2


def test_post_claims_batch_names_each_line_out_of_window(gateway: TestClient) -> None:
    today = datetime.now(UTC).date()
    body = {
        "claims": [
            claim(claim_ref="R-0"),
            claim(claim_ref="R-1", service_date="2003-12-31"),
            claim(claim_ref="R-2", service_date=(today + timedelta(days=367)).isoformat()),
        ]
    }
    answer = gateway.post("/v1/claims/batch", json=body)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [
        ["body", "claims", 1, "service_date"],
        ["body", "claims", 2, "service_date"],
    ]
    one = gateway.post("/v1/claims/batch", json={"claims": [claim(service_date="1999-01-01")]})
    assert [e["loc"] for e in one.json()["errors"]] == [["body", "claims", 0, "service_date"]]
