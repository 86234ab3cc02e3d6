"""The owners' side of the fence: ``POST /internal/subject-versions`` answers what the
service committed, to signed callers only, and :class:`HttpFactOwners` leaves out an
owner that does not answer (its subjects stay unconfirmed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData

from contracts.clients import TreatmentStatusChanged, TreatmentStatusChangedData
from contracts.topics import CLIENTS, PROVIDERS, VOUCHERS
from services.claims.adapters.fact_owners import HttpFactOwners, OwnerAnswer
from services.kit.caller import CallerAuth
from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork

KEY = "fact-owners-test-key-0123456789abcdef"


def _status(client_id: str) -> TreatmentStatusChanged:
    return TreatmentStatusChanged(
        subject=client_id,
        data=TreatmentStatusChangedData(
            client_id=client_id, treatment_status="level_1", effective_from="2026-09-01"
        ),
    )


@pytest.fixture
async def owner(tmp_path: Path) -> AsyncIterator[httpx.ASGITransport]:
    settings = Settings(
        service="eligibility", data_dir=tmp_path, environment="test", internal_key=KEY
    )
    runtime = ServiceRuntime("eligibility", MetaData(), settings)
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(runtime.tables.outbox.metadata.create_all)
    async with UnitOfWork(runtime.db, runtime.tables) as uow:
        uow.emit(CLIENTS, _status("C1"))
        uow.emit(CLIENTS, _status("C1"))
        await uow.commit()
    yield httpx.ASGITransport(app=runtime.http_app(title="owner"))
    await runtime.db.dispose()


def _owners(transport: httpx.AsyncBaseTransport, auth: httpx.Auth) -> HttpFactOwners:
    urls = {"eligibility": "http://eligibility", "vouchers": "http://vouchers"}
    return HttpFactOwners(urls, auth, transport=transport)


async def test_an_owner_answers_its_committed_versions(owner: httpx.ASGITransport) -> None:
    owners = _owners(owner, CallerAuth(KEY, 30))
    found = await owners.versions({CLIENTS.name: {"C1", "C2"}, PROVIDERS.name: {"P1"}})
    assert found.versions == {CLIENTS.name: {"C1": 2}, PROVIDERS.name: {}}
    assert found.totals == {CLIENTS.name: 2, PROVIDERS.name: 0}
    totals_only = await owners.versions({CLIENTS.name: set()})
    assert (totals_only.versions, totals_only.totals) == ({CLIENTS.name: {}}, {CLIENTS.name: 2})
    await owners.close()


async def test_an_unsigned_caller_gets_nothing_so_nothing_is_confirmed(
    owner: httpx.ASGITransport,
) -> None:
    owners = _owners(owner, httpx.Auth())
    assert await owners.versions({CLIENTS.name: {"C1"}}) == OwnerAnswer()
    await owners.close()


async def test_an_owner_that_cannot_be_reached_is_left_out() -> None:
    owners = HttpFactOwners(
        {"eligibility": "http://127.0.0.1:9", "vouchers": "http://127.0.0.1:9"},
        CallerAuth(KEY, 30),
        timeout_s=0.5,
    )
    assert await owners.versions({VOUCHERS.name: {"V1"}, CLIENTS.name: set()}) == OwnerAnswer()
    await owners.close()
