"""Claim intake with the real-claim fields: a procedure code that is not the catalog's
HCPCS code for the line's service is refused at the edge naming the field; the program
date a line was filed on travels on its event; a body stored before the fields existed
keeps its fingerprint (its resubmission is still a duplicate)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contracts.claims import SubmitClaim
from programs.loader import load_catalog
from services.gateway.adapters.orm import metadata
from services.gateway.service_layer.claims import body_hash, procedure_code_errors
from services.gateway.service_layer.intake import ClaimIntake
from services.gateway.settings import GatewaySettings
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

MO = load_catalog("missouri_atr2")
NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)


def line(ref: str = "R-1", **extra: Any) -> SubmitClaim:
    return SubmitClaim.model_validate(
        {
            "claim_ref": ref,
            "provider_id": "PRV-1",
            "client_id": "CL-1",
            "voucher_id": "VCH-1",
            "service_code": "RECOVERY_MENTORING_GRP",
            "service_date": "2026-09-14",
            "units": 2,
            "staff_id": "STF-1",
            **extra,
        }
    )


def test_the_catalogs_procedure_code_passes_and_another_is_refused_by_name() -> None:
    assert procedure_code_errors([line(procedure_code="H0038")], MO, batch=False) == []
    assert procedure_code_errors([line()], MO, batch=False) == []
    errors = procedure_code_errors([line(procedure_code="H0006")], MO, batch=False)
    assert [e["loc"] for e in errors] == [("body", "procedure_code")]
    assert "H0038" in errors[0]["msg"]


def test_a_batch_names_each_mismatching_line() -> None:
    lines = [line("A", procedure_code="H0038"), line("B", procedure_code="T1019")]
    errors = procedure_code_errors(lines, MO, batch=True)
    assert [e["loc"] for e in errors] == [("body", "claims", 1, "procedure_code")]


def test_an_unknown_service_is_left_to_the_engine() -> None:
    unknown = line(service_code="MASSAGE", procedure_code="H0038")
    assert procedure_code_errors([unknown], MO, batch=False) == []


def test_a_body_stored_before_the_billing_fields_keeps_its_fingerprint() -> None:
    old_body = line(
        service_code="RECOVERY_MENTORING_IND",
        start_time="09:00",
        end_time="09:30",
        client_signature=True,
    )
    # what the gateway stored for this body before the billing fields existed
    assert body_hash(old_body) == (
        "b87c63425077fee6657a323ef9f1ff8a376dd3d6a1c6ec890a9c219d16cd17b5"
    )
    assert body_hash(line(procedure_code="H0038")) != body_hash(line())
    assert body_hash(line(modifiers=[])) != body_hash(line())
    assert body_hash(line(group_size=4, group_clients=1)) != body_hash(line(group_size=4))
    assert body_hash(line(trip_authorization="PA-1")) != body_hash(line())


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    settings = GatewaySettings(service="gateway", data_dir=tmp_path, database_url=database_url)
    service = ServiceRuntime("gateway", metadata, settings)
    await asyncio.to_thread(_migrate, service)
    try:
        yield service
    finally:
        await service.db.dispose()


def _migrate(service: ServiceRuntime) -> None:
    from services.kit.migrations import upgrade_to_head

    upgrade_to_head("gateway", service.db.url)


async def test_the_event_carries_the_fields_and_the_filing_date(runtime: ServiceRuntime) -> None:
    intake = ClaimIntake(lambda: UnitOfWork(runtime.db, runtime.tables))
    full = line(
        rendering_npi="1234567893",
        procedure_code="H0038",
        modifiers=["HQ"],
        diagnosis_codes=["F11.20"],
        place_of_service="57",
    )
    try:
        await intake.accept([full], NOW, date(2027, 1, 3))
    finally:
        await intake.close()
    async with runtime.db.sessions() as session:
        payload = (await session.execute(select(runtime.tables.outbox.c.payload))).scalar_one()
    data = json.loads(payload)["data"]
    assert data["filed_on"] == "2027-01-03"
    assert data["rendering_npi"] == "1234567893"
    assert data["procedure_code"] == "H0038"
    assert data["modifiers"] == ["HQ"]
    assert data["diagnosis_codes"] == ["F11.20"]
    assert data["place_of_service"] == "57"
