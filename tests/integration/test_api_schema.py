"""schemathesis against the gateway's OpenAPI, authenticated as each role (bounded).

Every operation gets generated requests — valid and invalid bodies, paths and queries —
from every role's token; each answer must not be a 5xx, must carry a status code the
document lists for that operation, and a body that matches the documented schema and
content type. Random claims that pass validation reach the claim workers too, so the
run is also a fuzz of adjudication through the real broker.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.conftest import RunningPlatform

ROLES = ("admin", "assessor", "provider", "doc_thu", "state_system", "anonymous")
PROVIDER_ID = "PRV-SCHEMA-1"
OWN_ADDRESS = {"X-Forwarded-For": "198.51.100.7"}
"""schemathesis also sends made-up bearer tokens: its failed authentications are counted
against a documentation address of its own, so the throttle it trips (429, documented)
never reaches the other tests, which all speak from loopback."""
MAX_EXAMPLES = 6
"""Per operation and role: about 27 operations, 6 roles, 6 examples each: stays under a minute."""


@pytest.fixture(scope="session")
def role_headers(platform: RunningPlatform) -> dict[str, dict[str, str]]:
    """A bearer header per role (``anonymous``: none)."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    with httpx.Client(base_url=platform.gateway, timeout=30) as client:
        for role in ROLES:
            if role == "anonymous":
                continue
            body = {"role": role, "provider_id": PROVIDER_ID if role == "provider" else None}
            answer = client.post("/v1/tokens", json=body, headers=platform.admin)
            assert answer.status_code == 201, answer.text
            headers[role] = {"Authorization": f"Bearer {answer.json()['token']}"}
    return headers


def _gateway_openapi() -> dict[str, Any]:
    """The gateway's OpenAPI document, as the running gateway serves it (same code)."""
    from services.gateway.app import app

    return app.openapi()


schema = schemathesis.openapi.from_dict(_gateway_openapi())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_every_answer_documented(
    case: schemathesis.Case,
    role_headers: dict[str, dict[str, str]],
    platform: RunningPlatform,
) -> None:
    # every generated request is sent once per role (schemathesis's lazy schema does
    # not combine with parametrised fixtures)
    for role in ROLES:
        case.call_and_validate(
            base_url=platform.gateway,
            headers={**role_headers[role], **OWN_ADDRESS},
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )
