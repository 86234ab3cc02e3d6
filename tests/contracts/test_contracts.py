"""Contracts: envelope, topic registry, JSON Schema export and the AsyncAPI document."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import TypeAdapter

from contracts.export import export_json_schemas
from contracts.providers import ProviderEvent, ProviderRegistered, ProviderSnapshot
from contracts.topics import ALL_TOPICS, PROVIDERS
from services.asyncapi import build_asyncapi


def _registered() -> ProviderRegistered:
    return ProviderRegistered(
        subject="PRV-1",
        data=ProviderSnapshot(
            provider_id="PRV-1",
            name="Hope",
            services=["RECOVERY_MENTORING_IND"],
            counties=["Boone"],
            faith_based=True,
            status="active",
        ),
    )


def test_envelope_carries_cloudevents_fields_and_round_trips() -> None:
    event = _registered()
    body = json.loads(event.to_bytes())
    assert {"specversion", "id", "type", "source", "time", "subject", "data"} <= set(body)
    assert body["specversion"] == "1.0"
    assert body["schema_version"] == 1
    assert TypeAdapter(ProviderEvent).validate_json(event.to_bytes()) == event


def test_topic_registry_names_are_unique_versioned_and_sized() -> None:
    names = [topic.name for topic in ALL_TOPICS]
    assert len(names) == len(set(names))
    for topic in ALL_TOPICS:
        assert re.fullmatch(r"atr\.[a-z.]+\.v\d+", topic.name), topic.name
        assert topic.partitions >= 1
    assert PROVIDERS.cleanup_policy == "compact"


def test_export_writes_a_schema_per_event_type(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path)
    names = {path.name for path in written}
    assert "atr.provider.registered.v1.json" in names
    schema = json.loads((tmp_path / PROVIDERS.name / "atr.provider.registered.v1.json").read_text())
    assert schema["x-kafka"] == {"topic": PROVIDERS.name, "key": "provider_id"}
    assert "data" in schema["properties"]


def test_asyncapi_documents_the_providers_channel_and_its_messages() -> None:
    document = build_asyncapi()
    assert document["asyncapi"].startswith("3.")
    assert PROVIDERS.name in document["channels"]
    text = json.dumps(document)
    assert "atr.provider.registered" in text
    assert "ProviderSnapshot" in text
