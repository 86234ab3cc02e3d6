"""A state system's subscriber sees a voucher's whole life, in order, as documented.

The subscriber is the README's example (``examples.voucher_subscriber``) in its own
consumer group on the real broker; the voucher is driven through the gateway with the
roles of SPEC §4, and its balance moves because a real claim is adjudicated.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import httpx

from contracts.vouchers import VoucherEvent
from examples.voucher_subscriber import voucher_events
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

MENTORING = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-V1", "credentials": ["addictions_academy_graduate"]}


def mentoring_claim(ref: str, client_id: str, voucher_id: str, provider_id: str) -> dict[str, Any]:
    """A well-documented 30-minute recovery mentoring line dated today."""
    return {
        "claim_ref": ref,
        "provider_id": provider_id,
        "client_id": client_id,
        "voucher_id": voucher_id,
        "service_code": MENTORING,
        "service_date": utc_today().isoformat(),
        "units": 2,
        "staff_id": STAFF["staff_id"],
        "start_time": "10:00:00",
        "end_time": "10:30:00",
        "client_signature": True,
        "face_to_face": True,
    }


async def test_state_system_sees_the_whole_voucher_life_in_order(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    provider_id = "PRV-VLIFE"
    client_id = "CL-VLIFE-1"
    await register_provider(gateway, platform, provider_id, [MENTORING], [STAFF])
    assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-ASSESS-1")
    provider = await grant(gateway, platform, "provider", provider_id=provider_id)
    other_provider = await grant(gateway, platform, "provider", provider_id="PRV-OTHER")

    seen: list[VoucherEvent] = []

    async def subscribe() -> None:
        async for event in voucher_events(platform.platform.bootstrap_servers, "it-state-system"):
            if event.data.voucher.client_id == client_id:
                seen.append(event)

    subscriber = asyncio.create_task(subscribe())
    try:
        voucher = await active_voucher(
            gateway,
            assessor=assessor,
            provider=provider,
            provider_id=provider_id,
            client_id=client_id,
            services=[{"service_code": MENTORING, "units": 40}],
            max_value="1000.00",
        )
        voucher_id = voucher["voucher_id"]
        assert voucher["status"] == "active"

        # another provider cannot see the voucher, the selected one can
        assert (
            await gateway.get(f"/v1/vouchers/{voucher_id}", headers=other_provider)
        ).status_code == 404
        assert (
            await gateway.get(f"/v1/vouchers/{voucher_id}", headers=provider)
        ).status_code == 200

        claim = await gateway.post(
            "/v1/claims",
            json=mentoring_claim("V-LIFE-1", client_id, voucher_id, provider_id),
            headers=provider,
        )
        assert claim.status_code == 202, claim.text

        async def balance_moved() -> dict[str, Any] | None:
            body = (await gateway.get(f"/v1/vouchers/{voucher_id}", headers=provider)).json()
            return body if body["balances"][0]["used_units"] > 0 else None

        balanced = await wait_until(balance_moved, timeout_s=120)
        used = balanced["balances"][0]
        assert used["remaining_units"] == 40 - used["used_units"]

        new_expiry = (date.fromisoformat(voucher["valid_until"]) + timedelta(days=60)).isoformat()
        extended = await gateway.post(
            f"/v1/vouchers/{voucher_id}/extension",
            json={"new_valid_until": new_expiry, "reason": "utilisation review: progress"},
            headers=platform.admin,
        )
        assert extended.status_code == 200, extended.text
        assert extended.json()["valid_until"] == new_expiry

        refused = await gateway.post(
            f"/v1/vouchers/{voucher_id}/closure",
            json={"reason": "non_compliance"},
            headers=platform.admin,
        )
        assert refused.status_code == 422
        assert "reason" in json.dumps(refused.json())
        closed = await gateway.post(
            f"/v1/vouchers/{voucher_id}/closure",
            json={"reason": "moved_out_of_state"},
            headers=platform.admin,
        )
        assert closed.status_code == 200, closed.text

        again = await gateway.post(
            f"/v1/vouchers/{voucher_id}/admission",
            json={"admitted_on": utc_today().isoformat()},
            headers=provider,
        )
        assert again.status_code == 409
        assert again.json()["current_status"] == "closed"

        async def whole_life() -> bool:
            return any(e.type == "atr.voucher.closed" for e in seen)

        await wait_until(whole_life, timeout_s=120)
    finally:
        subscriber.cancel()
        await asyncio.gather(subscriber, return_exceptions=True)

    assert [e.type.removeprefix("atr.voucher.") for e in seen] == [
        "issued",
        "provider_selected",
        "activated",
        "balance_changed",
        "extended",
        "closed",
    ]
    assert [e.data.voucher.version for e in seen] == [1, 2, 3, 4, 5, 6]
    assert {e.subject for e in seen} == {voucher_id}
    assert seen[1].data.selected_by != "system"  # type: ignore[union-attr]
    assert seen[-1].data.voucher.status == "closed"
    assert seen[-1].data.reason == "moved_out_of_state"  # type: ignore[union-attr]


async def test_eligibility_and_assessment_issue_vouchers_through_the_event_flow(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    """An eligible client gets a 30-day assessment
    voucher and an assessment a 365-day service voucher, both via ``atr.clients.v1``."""
    from tests.integration.test_clients_api import _assessment, _eligibility
    from tests.phi_fixtures import BOB

    assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-ASSESS-2")
    enrolled = await gateway.post("/v1/clients", headers=assessor, json=BOB.intake())
    assert enrolled.status_code in (200, 201), enrolled.text
    client_id = enrolled.json()["client_id"]
    eligible = await gateway.post(
        f"/v1/clients/{client_id}/eligibility", headers=assessor, json=_eligibility()
    )
    assert eligible.status_code == 201, eligible.text
    assessed = await gateway.post(
        f"/v1/clients/{client_id}/assessments", headers=assessor, json=_assessment(with_gpra=False)
    )
    assert assessed.status_code == 201, assessed.text

    issued: dict[str, VoucherEvent] = {}

    async def subscribe() -> None:
        async for event in voucher_events(platform.platform.bootstrap_servers, "it-issuance"):
            if event.type == "atr.voucher.issued" and event.data.voucher.client_id == client_id:
                issued[event.data.voucher.kind] = event

    subscriber = asyncio.create_task(subscribe())
    try:
        await wait_until(lambda: _both(issued), timeout_s=120)
    finally:
        subscriber.cancel()
        await asyncio.gather(subscriber, return_exceptions=True)
    assessment = issued["assessment"].data.voucher
    service = issued["service"].data.voucher
    assert (assessment.valid_until - assessment.valid_from).days + 1 == 30
    assert (service.valid_until - service.valid_from).days + 1 == 365
    assert service.valid_from == utc_today()
    assert [s.service_code for s in service.authorized_services] == [MENTORING]
    assert service.assessment_id == assessed.json()["assessment_id"]


async def _both(issued: dict[str, VoucherEvent]) -> bool:
    return {"assessment", "service"} <= issued.keys()
