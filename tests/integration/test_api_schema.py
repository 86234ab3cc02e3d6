"""schemathesis against the gateway's OpenAPI, authenticated as each role (bounded).

Every operation gets generated requests — valid and invalid bodies, paths and queries —
from every role's token; each answer must not be a 5xx, must carry a status code the
document lists for that operation, and a body that matches the documented schema and
content type. Random claims that pass validation reach the claim workers too, so the
run is also a fuzz of adjudication through the real broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from aiokafka import AIOKafkaConsumer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.topics import CLAIMS_SUBMITTED, DEAD_LETTER
from tests.infrastructure import wait_until
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


@pytest.fixture(scope="module", autouse=True)
def _count_dead_letters_first(dead_letters_before: int) -> None:
    """Count the dead-lettered claims before any generated request is sent."""


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


@pytest.fixture(scope="module")
def dead_letters_before(platform: RunningPlatform) -> int:
    """How many claim messages the dead-letter topic held before this module ran."""
    return len(asyncio.run(_dead_lettered_claims(platform)))


async def _dead_lettered_claims(platform: RunningPlatform) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        DEAD_LETTER.name,
        bootstrap_servers=platform.platform.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[tuple[bytes, bytes]] = []
    try:
        while True:
            fetched = await consumer.getmany(timeout_ms=1500)
            if not fetched:
                return found
            for batch in fetched.values():
                for record in batch:
                    headers = dict(record.headers)
                    if headers.get("x-original-topic") == CLAIMS_SUBMITTED.name.encode():
                        found.append((record.value or b"", headers.get("x-error", b"")))
    finally:
        await consumer.stop()


def test_zz_every_claim_the_gateway_accepted_was_decidable(
    platform: RunningPlatform, dead_letters_before: int
) -> None:
    """Whatever the gateway accepts a claim worker can decide (one such claim used to
    stall adjudication): once every claim the gateway accepted is stored by the claims
    service or dead-lettered, none of the generated ones is among the dead letters."""

    async def settled() -> tuple[list[tuple[bytes, bytes]]] | None:
        accepted = await _count(platform.database_urls["gateway"], "claim_keys")
        stored = await _count(platform.database_urls["claims"], "claims")
        new = (await _dead_lettered_claims(platform))[dead_letters_before:]
        # a one-tuple: settled with no dead letter is an empty list, which is falsy
        return (new,) if stored + len(new) >= accepted else None

    async def run() -> list[tuple[bytes, bytes]]:
        found: tuple[list[tuple[bytes, bytes]]] = await wait_until(
            settled, timeout_s=120, interval_s=1
        )
        return found[0]

    new = asyncio.run(run())
    assert not new, [error.decode() for _, error in new]


async def _count(url: str, table: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608 - fixed table names
    finally:
        await engine.dispose()
