"""Claims through the gateway to two claim workers on the real broker.

(a) 2,000 claims for 200 clients: every claim adjudicated exactly once, each client's
claims decided in submission order; (b) a worker killed with SIGKILL mid-stream: still
exactly once, nothing lost; (c) a malformed message goes to the dead-letter topic and
later claims are still adjudicated; (d) provider A cannot see or act on B's claims.
Plus the intake contract: idempotent resubmission, 409 on a reused ref, 422 naming the
field, 413 for an oversized body.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import defaultdict
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, DEAD_LETTER
from tests.infrastructure import wait_until
from tests.integration.actors import (
    grant,
    offer_choices,
    register_provider,
    selection_pending,
    utc_today,
)
from tests.integration.conftest import RunningPlatform

MENTORING = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-P1", "credentials": ["addictions_academy_graduate"]}
PROVIDER = "PRV-PIPE"
CLIENTS = 200
PER_CLIENT = 10


def line(
    ref: str, client_id: str, voucher_id: str, day_offset: int, **extra: Any
) -> dict[str, Any]:
    """A 30-minute mentoring line ``day_offset`` days ago."""
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": client_id,
        "voucher_id": voucher_id,
        "service_code": MENTORING,
        "service_date": (utc_today() - timedelta(days=day_offset)).isoformat(),
        "units": 2,
        "staff_id": STAFF["staff_id"],
        "start_time": "09:00:00",
        "end_time": "09:30:00",
        "client_signature": True,
        "face_to_face": True,
        **extra,
    }


async def rows(url: str, sql: str, **params: object) -> list[tuple[Any, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(r) for r in (await connection.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def network(platform: RunningPlatform) -> dict[str, Any]:
    """A provider with staff, tokens, and 200 clients with active vouchers."""
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        await register_provider(gateway, platform, PROVIDER, [MENTORING], [STAFF])
        assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-A")
        provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
        vouchers: dict[str, str] = {}
        for start in range(0, CLIENTS, 20):
            made = await asyncio.gather(
                *(_voucher(gateway, assessor, provider, n) for n in range(start, start + 20))
            )
            vouchers.update(made)
    return {"assessor": assessor, "provider": provider, "vouchers": vouchers}


async def _voucher(
    gateway: httpx.AsyncClient, assessor: dict[str, str], provider: dict[str, str], n: int
) -> tuple[str, str]:
    client_id = f"CL-PIPE-{n:04d}"
    created = await gateway.post(
        "/v1/vouchers",
        json={
            "client_id": client_id,
            "assessed_on": (utc_today() - timedelta(days=90)).isoformat(),
            "authorized_services": [{"service_code": MENTORING, "units": 500}],
        },
        headers=assessor,
    )
    assert created.status_code == 201, created.text
    voucher_id = created.json()["voucher_id"]
    await offer_choices(gateway, assessor, client_id, [MENTORING])

    async def selected() -> bool:
        answer = await gateway.post(
            f"/v1/vouchers/{voucher_id}/selection", json={"provider_id": PROVIDER}, headers=assessor
        )
        if selection_pending(answer):
            return False
        assert answer.status_code == 200, answer.text
        return True

    await wait_until(selected, timeout_s=120)
    admitted = await gateway.post(
        f"/v1/vouchers/{voucher_id}/admission",
        json={"admitted_on": (utc_today() - timedelta(days=60)).isoformat()},
        headers=provider,
    )
    assert admitted.status_code == 200, admitted.text
    return client_id, voucher_id


async def submit(
    gateway: httpx.AsyncClient, provider: dict[str, str], lines: list[dict[str, Any]]
) -> list[str]:
    """Post lines in batches of 1,000; returns claim ids in submission order."""
    ids: list[str] = []
    for start in range(0, len(lines), 1000):
        answer = await gateway.post(
            "/v1/claims/batch", json={"claims": lines[start : start + 1000]}, headers=provider
        )
        assert answer.status_code == 202, answer.text
        ids.extend(c["claim_id"] for c in answer.json()["claims"])
    return ids


async def decided(platform: RunningPlatform, claim_ids: list[str]) -> list[tuple[Any, ...]]:
    """Wait until every claim is decided; return (claim_id, client_id, decision_seq, status)."""

    async def all_decided() -> list[tuple[Any, ...]] | None:
        found = await rows(
            platform.database_urls["claims"],
            "SELECT claim_id, client_id, decision_seq, status FROM claims",
        )
        mine = [r for r in found if r[0] in set(claim_ids)]
        done = [r for r in mine if r[3] != "pending"]
        return mine if len(done) == len(claim_ids) else None

    result: list[tuple[Any, ...]] = await wait_until(all_decided, timeout_s=180, interval_s=0.5)
    return result


def assert_in_submission_order(
    claim_ids: list[str], clients: list[str], decided_rows: list[tuple[Any, ...]]
) -> None:
    by_client: dict[str, list[str]] = defaultdict(list)
    for claim_id, client_id in zip(claim_ids, clients, strict=True):
        by_client[client_id].append(claim_id)
    seq = {r[0]: r[2] for r in decided_rows}
    for client_id, submitted in by_client.items():
        assert sorted(submitted, key=lambda c: seq[c]) == submitted, client_id


async def test_a_2000_claims_for_200_clients_exactly_once_in_order(
    platform: RunningPlatform, network: dict[str, Any]
) -> None:
    lines, clients = [], []
    for k in range(PER_CLIENT):
        for n in range(CLIENTS):
            client_id = f"CL-PIPE-{n:04d}"
            lines.append(line(f"A-{n}-{k}", client_id, network["vouchers"][client_id], k + 1))
            clients.append(client_id)
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        claim_ids = await submit(gateway, network["provider"], lines)
    assert len(set(claim_ids)) == 2000

    decided_rows = await decided(platform, claim_ids)
    assert len(decided_rows) == 2000
    assert len({r[0] for r in decided_rows}) == 2000
    assert_in_submission_order(claim_ids, clients, decided_rows)
    statuses = {r[3] for r in decided_rows}
    assert statuses <= {"approved", "partially_approved", "denied"}
    assert "approved" in statuses

    per_claim = await adjudication_events(platform, set(claim_ids))
    assert all(len(per_claim[c]) == 1 for c in claim_ids)  # one decision event per claim
    await assert_both_workers_worked(platform)


async def adjudication_events(
    platform: RunningPlatform, claim_ids: set[str]
) -> dict[str, set[str]]:
    """Event ids of the adjudication events of each claim, read from the topic."""
    per_claim: dict[str, set[str]] = defaultdict(set)
    consumer = AIOKafkaConsumer(
        CLAIMS_ADJUDICATED.name,
        bootstrap_servers=platform.platform.bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    deadline = asyncio.get_running_loop().time() + 90
    try:
        while asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in batch:
                    body = json.loads(record.value)
                    per_claim[body["data"]["claim_id"]].add(body["id"])
            if claim_ids <= set(per_claim):
                break
    finally:
        await consumer.stop()
    assert claim_ids <= set(per_claim), "some claims have no adjudication event"
    return per_claim


async def assert_both_workers_worked(platform: RunningPlatform) -> None:
    """Both claim processes took batches (the group spread the partitions)."""
    batches = []
    for name in ("claims", "claims-2"):
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"{platform.platform.url_for(name)}/metrics")).text
        batches.append(
            sum(
                float(m.rsplit(" ", 1)[1])
                for m in body.splitlines()
                if m.startswith('atr_events_processed_total{service="claims"')
                and CLAIMS_SUBMITTED.name in m
            )
        )
    assert all(b > 0 for b in batches), batches


async def test_b_worker_killed_mid_stream_loses_nothing_and_decides_once(
    platform: RunningPlatform, network: dict[str, Any]
) -> None:
    lines, clients = [], []
    for k in range(5):
        for n in range(CLIENTS):
            client_id = f"CL-PIPE-{n:04d}"
            lines.append(line(f"B-{n}-{k}", client_id, network["vouchers"][client_id], 20 + k))
            clients.append(client_id)
    victim = platform.platform.processes["claims-2"]
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        first = await submit(gateway, network["provider"], lines[:500])
        victim.send_signal(signal.SIGKILL)
        rest = await submit(gateway, network["provider"], lines[500:])
    victim.wait()
    claim_ids = first + rest
    try:
        decided_rows = await decided(platform, claim_ids)
    finally:
        await asyncio.to_thread(platform.platform.restart, "claims-2")
    assert len(decided_rows) == len(claim_ids) == 1000
    assert len({r[0] for r in decided_rows}) == 1000
    assert_in_submission_order(claim_ids, clients, decided_rows)
    per_claim = await adjudication_events(platform, set(claim_ids))
    # a relay killed between send and mark may publish an event twice, never two decisions
    assert all(len(per_claim[c]) == 1 for c in claim_ids)


async def test_c_malformed_message_is_dead_lettered_and_later_claims_flow(
    platform: RunningPlatform, network: dict[str, Any]
) -> None:
    client_id = "CL-PIPE-0007"
    producer = AIOKafkaProducer(bootstrap_servers=platform.platform.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            CLAIMS_SUBMITTED.name,
            b'{"type": "atr.claim.submitted", "data": 42}',
            key=client_id.encode(),
        )
    finally:
        await producer.stop()
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        ids = await submit(
            gateway,
            network["provider"],
            [line("C-after-poison", client_id, network["vouchers"][client_id], 40)],
        )
    assert len(await decided(platform, ids)) == 1

    consumer = AIOKafkaConsumer(
        DEAD_LETTER.name,
        bootstrap_servers=platform.platform.bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:

        async def poison() -> Any:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    headers = dict(record.headers)
                    if (
                        headers.get("x-original-topic") == CLAIMS_SUBMITTED.name.encode()
                        and record.key == client_id.encode()
                    ):
                        return record
            return None

        record = await wait_until(poison, timeout_s=120)
    finally:
        await consumer.stop()
    headers = dict(record.headers)
    assert record.value == b'{"type": "atr.claim.submitted", "data": 42}'
    assert b"data" in headers["x-error"]
    assert headers["x-consumer"] == b"atr-claims-workers"


async def test_d_provider_cannot_see_or_act_on_another_providers_claims(
    platform: RunningPlatform, network: dict[str, Any]
) -> None:
    client_id = "CL-PIPE-0011"
    voucher_id = network["vouchers"][client_id]
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        intruder = await grant(gateway, platform, "provider", provider_id="PRV-INTRUDER")
        mine = line("D-1", client_id, voucher_id, 41)
        as_other = await gateway.post("/v1/claims", json=mine, headers=intruder)
        assert as_other.status_code == 403
        assert "provider_id" in as_other.text
        accepted = await gateway.post("/v1/claims", json=mine, headers=network["provider"])
        assert accepted.status_code == 202
        claim_id = accepted.json()["claim_id"]
        assert (await gateway.get(f"/v1/claims/{claim_id}", headers=intruder)).status_code == 404
        own = await gateway.get(f"/v1/claims/{claim_id}", headers=network["provider"])
        assert own.status_code == 200
        assert own.json()["claim_id"] == claim_id
        assert (
            await gateway.get(f"/v1/claims/{claim_id}", headers=platform.admin)
        ).status_code == 200
        assert (await gateway.get(f"/v1/claims/{claim_id}")).status_code == 401


async def test_intake_is_idempotent_strict_and_bounded(
    platform: RunningPlatform, network: dict[str, Any]
) -> None:
    client_id = "CL-PIPE-0012"
    voucher_id = network["vouchers"][client_id]
    body = line("E-1", client_id, voucher_id, 42)
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=60) as gateway:
        provider = network["provider"]
        first = await gateway.post("/v1/claims", json=body, headers=provider)
        again = await gateway.post("/v1/claims", json=body, headers=provider)
        assert first.status_code == again.status_code == 202
        assert again.json()["claim_id"] == first.json()["claim_id"]
        assert again.json()["duplicate"] is True

        changed = await gateway.post("/v1/claims", json={**body, "units": 3}, headers=provider)
        assert changed.status_code == 409
        assert changed.headers["content-type"] == "application/problem+json"
        assert changed.json()["type"] == "https://atr.example/problems/conflict"
        assert changed.json()["claim_id"] == first.json()["claim_id"]

        unknown = await gateway.post(
            "/v1/claims", json={**body, "claim_ref": "E-2", "ssn": "123-45-6789"}, headers=provider
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["loc"][-1] == "ssn"
        assert "123-45-6789" not in unknown.text

        bad_units = await gateway.post(
            "/v1/claims/batch",
            json={
                "claims": [{**body, "claim_ref": "E-3"}, {**body, "claim_ref": "E-4", "units": 0}]
            },
            headers=provider,
        )
        assert bad_units.status_code == 422
        assert bad_units.json()["errors"][0]["loc"][-3:] == ["claims", 1, "units"]

        too_many = await gateway.post(
            "/v1/claims/batch",
            json={"claims": [{**body, "claim_ref": f"E-many-{i}"} for i in range(1001)]},
            headers=provider,
        )
        assert too_many.status_code == 422

        huge = await gateway.post(
            "/v1/claims",
            content=b"{" + b" " * 3_000_000 + b"}",
            headers={**provider, "content-type": "application/json"},
        )
        assert huge.status_code == 413

        status = await wait_until(
            lambda: _status(gateway, first.json()["claim_id"], provider), timeout_s=60
        )
        assert status["status"] in ("approved", "partially_approved", "denied")
        assert status["allowed_units"] + status["denied_units"] == 2


async def _status(
    gateway: httpx.AsyncClient, claim_id: str, headers: dict[str, str]
) -> dict[str, Any] | None:
    body: dict[str, Any] = (await gateway.get(f"/v1/claims/{claim_id}", headers=headers)).json()
    return body if body["status"] not in ("received", "pending") else None
