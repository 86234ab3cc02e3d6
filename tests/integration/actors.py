"""Setting up the actors of a scenario through the gateway, as the program office would."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from services.claims.adapters.orm import provider_replica
from tests.infrastructure import wait_until
from tests.integration.conftest import RunningPlatform


def utc_today() -> date:
    """The services' program date (UTC)."""
    return datetime.now(UTC).date()


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


async def grant(
    gateway: httpx.AsyncClient,
    platform: RunningPlatform,
    role: str,
    *,
    provider_id: str | None = None,
    organisation_id: str | None = None,
) -> dict[str, str]:
    """A new token for ``role`` (admin endpoint), as an Authorization header."""
    answer = await gateway.post(
        "/v1/tokens",
        json={"role": role, "provider_id": provider_id, "organisation_id": organisation_id},
        headers=platform.admin,
    )
    assert answer.status_code == 201, answer.text
    return bearer(answer.json()["token"])


async def register_provider(
    gateway: httpx.AsyncClient,
    platform: RunningPlatform,
    provider_id: str,
    services: list[str],
    staff: list[dict[str, Any]],
) -> None:
    """Register an active provider with its staff roster."""
    answer = await gateway.post(
        "/v1/providers",
        json={
            "provider_id": provider_id,
            "name": f"Provider {provider_id}",
            "services": services,
            "counties": ["Boone"],
        },
        headers=platform.admin,
    )
    assert answer.status_code == 201, answer.text
    for member in staff:
        answer = await gateway.post(
            f"/v1/providers/{provider_id}/staff", json=member, headers=platform.admin
        )
        assert answer.status_code in (200, 201), answer.text
    # the program office registers a provider before its claims come: wait until the
    # claim workers' replica has it with its roster, so no scenario depends on how fast
    # atr.providers.v1 reaches them (only voucher lag is covered by the pend, SPEC §3.4)
    roster = {member["staff_id"] for member in staff}
    assert await wait_until(lambda: _claims_know(platform, provider_id, roster), timeout_s=120), (
        f"{provider_id} never reached the claims replica"
    )


async def _claims_know(platform: RunningPlatform, provider_id: str, roster: set[str]) -> bool:
    engine = create_async_engine(platform.database_urls["claims"])
    try:
        async with engine.connect() as connection:
            staff = await connection.scalar(
                select(provider_replica.c.staff).where(
                    provider_replica.c.provider_id == provider_id
                )
            )
    finally:
        await engine.dispose()
    return staff is not None and roster <= {member["staff_id"] for member in staff}


async def active_voucher(
    gateway: httpx.AsyncClient,
    *,
    assessor: dict[str, str],
    provider: dict[str, str],
    provider_id: str,
    client_id: str,
    services: list[dict[str, Any]],
    max_value: str | None = None,
    admitted_on: date | None = None,
    assessed_on: date | None = None,
) -> dict[str, Any]:
    """Issue a service voucher (assessed on ``assessed_on``, default today), offer the
    client the choice lists for its services, select the provider, report the admission."""
    body: dict[str, Any] = {
        "client_id": client_id,
        "authorized_services": services,
        "max_value": max_value,
    }
    if assessed_on is not None:
        body["assessed_on"] = assessed_on.isoformat()
    created = await gateway.post("/v1/vouchers", json=body, headers=assessor)
    assert created.status_code == 201, created.text
    voucher_id = created.json()["voucher_id"]
    await offer_choices(gateway, assessor, client_id, [s["service_code"] for s in services])
    await select_provider(gateway, assessor, voucher_id, provider_id)
    admitted = await gateway.post(
        f"/v1/vouchers/{voucher_id}/admission",
        json={"admitted_on": (admitted_on or utc_today()).isoformat()},
        headers=provider,
    )
    assert admitted.status_code == 200, admitted.text
    admission: dict[str, Any] = admitted.json()
    return admission


async def offer_choices(
    gateway: httpx.AsyncClient, assessor: dict[str, str], client_id: str, service_codes: list[str]
) -> None:
    """Offer the client the choice list for each service (a selection must be on it)."""
    for code in service_codes:
        answer = await gateway.post(
            f"/v1/clients/{client_id}/choice-lists", json={"service_code": code}, headers=assessor
        )
        assert answer.status_code == 201, answer.text


def selection_pending(answer: httpx.Response) -> bool:
    """A selection refused only because an event has not reached vouchers yet: the
    provider's (422 unknown provider) or the choice list offered (409 offer it first)."""
    return (answer.status_code == 422 and "unknown provider" in answer.text) or (
        answer.status_code == 409 and "offer it first" in answer.text
    )


async def select_provider(
    gateway: httpx.AsyncClient, assessor: dict[str, str], voucher_id: str, provider_id: str
) -> None:
    """Record the client's choice, retrying while the events it needs are on the way."""

    async def selected() -> bool:
        answer = await gateway.post(
            f"/v1/vouchers/{voucher_id}/selection",
            json={"provider_id": provider_id},
            headers=assessor,
        )
        if selection_pending(answer):
            return False
        assert answer.status_code == 200, answer.text
        return True

    assert await wait_until(selected, timeout_s=120), f"{provider_id} never selectable"
