"""Abuse at the gateway: failed authentications are logged without the token and limited
per client address with 429 and ``Retry-After`` (200 bad tokens went through in 0.64 s before).

Each test speaks from its own documentation address (``X-Forwarded-For``, which uvicorn
honours from loopback only), so the limit it trips does not touch the other tests.
"""

from __future__ import annotations

import httpx

from services.gateway.settings import GatewaySettings
from tests.integration.conftest import RunningPlatform

PROBE = "/v1/claims/CLM-ABUSE-PROBE"
"""An authenticated route: 404 for a valid admin token (no such claim), 401 for a bad one."""


async def test_bad_tokens_are_limited_per_address_and_logged_without_the_token(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    limit = GatewaySettings().auth_failure_limit
    guesser = {"X-Forwarded-For": "203.0.113.41"}
    statuses = []
    for attempt in range(limit + 5):
        guess = f"atr_guess-{attempt:04d}-not-a-token"
        answer = await gateway.get(PROBE, headers={**guesser, "Authorization": f"Bearer {guess}"})
        statuses.append(answer.status_code)
    assert statuses[:limit] == [401] * limit
    assert statuses[limit:] == [429] * 5
    refused = await gateway.get(PROBE, headers={**guesser, **platform.admin})
    assert refused.status_code == 429, "a valid token from a throttled address is refused too"
    assert 1 <= int(refused.headers["Retry-After"]) <= GatewaySettings().auth_failure_window_s
    other = await gateway.get(PROBE, headers={"X-Forwarded-For": "203.0.113.42", **platform.admin})
    assert other.status_code == 404, "another address is not affected (authenticated: 404)"
    log = (platform.data_dir / "logs" / "gateway.log").read_text()
    assert "authentication failed" in log
    assert "203.0.113.41" in log
    assert "atr_guess-" not in log, "the presented token is never logged"


async def test_a_missing_token_is_401_and_not_counted(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    anonymous = {"X-Forwarded-For": "203.0.113.43"}
    for _ in range(GatewaySettings().auth_failure_limit + 3):
        assert (await gateway.get(PROBE, headers=anonymous)).status_code == 401
