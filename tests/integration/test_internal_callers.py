"""Internal services trust only the gateway (and each other): on the running platform a
call straight to a service's port with ``X-ATR-*`` headers, or with an assertion under
another key, is 401 and shows nothing, while the same read through the gateway works."""

from __future__ import annotations

import httpx

from services.kit.actor import Actor
from services.kit.caller import SYSTEM, CallerAuth
from tests.integration.actors import grant
from tests.integration.conftest import RunningPlatform
from tests.phi_fixtures import CAROL

FORGED_PROVIDER = {
    "X-ATR-Role": "provider",
    "X-ATR-Token-Id": "forged",
    "X-ATR-Provider-Id": "PRV-FORGED",
}


async def test_a_service_port_refuses_forged_callers_the_gateway_does_not(
    gateway: httpx.AsyncClient, platform: RunningPlatform
) -> None:
    assessor = await grant(gateway, platform, "assessor")
    enrolled = await gateway.post("/v1/clients", headers=assessor, json=CAROL.intake())
    assert enrolled.status_code == 201, enrolled.text
    client_id = enrolled.json()["client_id"]

    through_gateway = await gateway.get(f"/v1/clients/{client_id}/gpra/due", headers=assessor)
    assert through_gateway.status_code == 200, through_gateway.text

    eligibility = platform.url_of("eligibility")
    wrong_key = CallerAuth("not-the-platform-key", 30, Actor(role="admin", token_id="x"))
    async with httpx.AsyncClient(base_url=eligibility, timeout=10) as direct:
        for path in (f"/clients/{client_id}/gpra/due", f"/clients/{client_id}/assessment-summary"):
            for attempt in (
                direct.get(path),
                direct.get(path, headers=FORGED_PROVIDER),
                direct.get(path, auth=wrong_key),
            ):
                answer = await attempt
                assert answer.status_code == 401, (path, answer.text)
                for secret in (CAROL.given_name, CAROL.family_name, CAROL.ssn[-4:]):
                    assert secret not in answer.text
        registered = await direct.post(
            "/providers",
            headers={"X-ATR-Role": "admin"},
            json={"provider_id": "PRV-FORGED", "name": "Forged", "services": [], "counties": []},
        )
        assert registered.status_code == 401
        assert (await direct.get("/healthz")).status_code == 200

    # the public directory: the gateway signs it as anonymous, no token needed
    directory = await gateway.get("/v1/providers")
    assert directory.status_code == 200, directory.text

    # a service signing as system with the platform's key is let in (the claim worker's
    # voucher lookup): an unknown voucher is 404, not 401
    system = CallerAuth(platform.settings.internal_key, 30, SYSTEM)
    async with httpx.AsyncClient(base_url=platform.url_of("vouchers"), auth=system) as direct:
        assert (await direct.get("/vouchers/V-NO-SUCH-VOUCHER")).status_code == 404
