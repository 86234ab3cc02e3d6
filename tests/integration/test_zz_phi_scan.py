"""SPEC §3.1 and §5: PHI never reaches Kafka or the logs.

Runs after the other integration tests (alphabetical order): it enrols the suite's test
people once more (so it means something when run alone too), then reads every topic of
the registry from the beginning and every log and trace file of the platform, and looks
for each SSN (with and without dashes), name and date of birth of ``tests.phi_fixtures``.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import ALL_TOPICS
from tests.integration.conftest import RunningPlatform
from tests.phi_fixtures import PEOPLE, phi_strings


async def _all_records(bootstrap: str) -> list[bytes]:
    """Every key, value and header of every topic, read until each partition's high
    watermark is reached (docs/embedded-broker.md: never ``end_offsets``) and the
    topics stay quiet."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[bytes] = []
    try:
        partitions = [
            TopicPartition(topic.name, p)
            for topic in ALL_TOPICS
            for p in sorted(consumer.partitions_for_topic(topic.name) or range(topic.partitions))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline, quiet_since = time.monotonic() + 60, time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    found += [record.key or b"", record.value or b""]
                    found += [value for _, value in record.headers]
            if batch:
                quiet_since = time.monotonic()
            caught_up = True
            for tp in partitions:
                high = consumer.highwater(tp)
                if high is not None and await consumer.position(tp) < high:
                    caught_up = False
            if caught_up and time.monotonic() - quiet_since > 3:
                break
    finally:
        await consumer.stop()
    return found


def _files(data_dir: Path) -> list[Path]:
    return [
        path
        for folder in (data_dir / "logs", data_dir / "traces")
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file()
    ]


async def test_no_phi_on_any_topic_or_in_any_log(
    platform: RunningPlatform, gateway: httpx.AsyncClient, bootstrap_servers: str
) -> None:
    token = await gateway.post(
        "/v1/tokens", headers=platform.admin, json={"role": "assessor", "label": "phi scan"}
    )
    assert token.status_code == 201, token.text
    assessor = {"Authorization": f"Bearer {token.json()['token']}"}
    for person in PEOPLE:
        answer = await gateway.post("/v1/clients", headers=assessor, json=person.intake())
        assert answer.status_code == 201, answer.text
    await asyncio.sleep(0)  # the outbox relay publishes; the scan below waits for quiet

    secrets = [s.casefold().encode() for s in phi_strings()]
    records = await _all_records(bootstrap_servers)
    assert any(b"atr.client.enrolled" in r for r in records), "intake events not found"
    for record in records:
        lowered = record.decode(errors="replace").casefold().encode()
        leaked = [s.decode() for s in secrets if s in lowered]
        assert not leaked, f"PHI on Kafka: {len(leaked)} item(s)"

    files = _files(platform.data_dir)
    assert files, "no log files found"
    for path in files:
        text = path.read_text(errors="replace").casefold()
        leaked = [s.decode() for s in secrets if _found(s.decode(), text)]
        assert not leaked, f"PHI in {path.name}: {len(leaked)} item(s)"


def _found(secret: str, text: str) -> bool:
    """Whether ``secret`` is in ``text``; a digits-only secret (an SSN without dashes) only
    as a number of its own, not inside a longer run of digits such as a nanosecond
    timestamp in a trace file."""
    if not secret.isdigit():
        return secret in text
    return re.search(rf"(?<!\d){secret}(?!\d)", text) is not None
