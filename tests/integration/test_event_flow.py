"""A gateway request makes eligibility publish an event that reporting and
claims consume into their own databases, exactly once even when it is delivered twice,
with one trace id spanning every service on the way."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.providers import ProviderRegistered
from contracts.topics import PROVIDERS
from tests.infrastructure import wait_until
from tests.integration.conftest import RunningPlatform


async def _query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()


async def _metric(url: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


async def _published_event(
    bootstrap: str, provider_id: str
) -> tuple[bytes, list[tuple[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        PROVIDERS.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        for _ in range(200):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    if record.key == provider_id.encode():
                        return record.value, list(record.headers)
        raise AssertionError(f"no event for {provider_id} on {PROVIDERS.name}")
    finally:
        await consumer.stop()


def _spans(data_dir: Path, service: str) -> list[dict[str, object]]:
    path = data_dir / "traces" / f"{service}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_provider_registration_flows_exactly_once_with_one_trace(
    platform: RunningPlatform, gateway: httpx.AsyncClient, bootstrap_servers: str
) -> None:
    reporting_db = platform.database_urls["reporting"]

    async def designated() -> object:
        rows = await _query(
            reporting_db, "SELECT value FROM program_counters WHERE name = 'providers_designated'"
        )
        return rows[0][0] if rows else 0

    answer = await gateway.post(
        "/v1/providers",
        headers=platform.admin,
        json={
            "name": "Hope Recovery",
            "services": ["RECOVERY_MENTORING_IND"],
            "counties": ["Boone"],
        },
    )
    assert answer.status_code == 201, answer.text
    provider_id = answer.json()["provider_id"]

    claims_db = platform.database_urls["claims"]
    # every provider registered in this session so far, this one included (the public
    # directory lists only active ones, and other tests suspend some)
    rows = await _query(platform.database_urls["eligibility"], "SELECT count(*) FROM providers")
    registered = rows[0][0]

    async def counted() -> bool:
        return await designated() == registered

    assert await wait_until(counted, timeout_s=120)
    replica = await wait_until(
        lambda: _query(
            claims_db, "SELECT status FROM provider_replica WHERE provider_id = :p", p=provider_id
        )
    )
    assert replica == [("active",)]

    # Deliver the very same event a second time, as a broker redelivery would.
    value, headers = await _published_event(bootstrap_servers, provider_id)
    event = ProviderRegistered.model_validate_json(value)
    duplicates_before = await _metric(
        platform.url_of("reporting"), 'atr_events_duplicate_total{service="reporting"'
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            PROVIDERS.name, value, key=provider_id.encode(), headers=headers
        )
    finally:
        await producer.stop()

    async def duplicate_seen() -> bool:
        now = await _metric(
            platform.url_of("reporting"), 'atr_events_duplicate_total{service="reporting"'
        )
        return now > duplicates_before

    assert await wait_until(duplicate_seen, timeout_s=120)
    assert await designated() == registered  # still once
    processed = await _query(
        reporting_db, "SELECT trace_id FROM processed_events WHERE event_id = :e", e=str(event.id)
    )
    assert len(processed) == 1

    # One trace: gateway request -> eligibility -> outbox/Kafka -> reporting and claims.
    trace_id = processed[0][0]
    assert trace_id
    claims_trace = await _query(
        claims_db, "SELECT trace_id FROM processed_events WHERE event_id = :e", e=str(event.id)
    )
    assert claims_trace == [(trace_id,)]
    hex_id = f"0x{trace_id}"

    async def spans_of_trace(service: str) -> list[dict[str, object]]:
        return [
            span
            for span in _spans(platform.data_dir, service)
            if span["context"]["trace_id"] == hex_id  # type: ignore[index]
        ]

    gateway_spans = await wait_until(lambda: spans_of_trace("gateway"))
    assert any("/v1/providers" in str(span["name"]) for span in gateway_spans)
    eligibility_spans = await wait_until(lambda: spans_of_trace("eligibility"))
    assert any("/providers" in str(span["name"]) for span in eligibility_spans)
    assert any(f"{PROVIDERS.name} publish" == span["name"] for span in eligibility_spans)
    for consumer in ("reporting", "claims"):
        spans = await wait_until(lambda c=consumer: spans_of_trace(c))
        assert any(f"{PROVIDERS.name} process" == span["name"] for span in spans), consumer
