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
    assert body["schemaversion"] == 1
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


def test_asyncapi_documents_every_published_topic_and_event_type() -> None:
    """The clients, vouchers and claims channels with every event type, no PHI."""
    from contracts.registry import events_of
    from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, CLIENTS, VOUCHERS

    document = build_asyncapi()
    text = json.dumps(document)
    for topic in (CLIENTS, VOUCHERS, CLAIMS_SUBMITTED, CLAIMS_ADJUDICATED):
        assert topic.name in document["channels"], topic.name
        for event in events_of(topic):
            assert event.model_fields["type"].default in text, event.__name__
    for phi in ("ssn", "date_of_birth", "first_name", "last_name"):
        assert f'"{phi}"' not in json.dumps(
            {k: v for k, v in document["components"]["schemas"].items() if "Client" in k}
        )


def test_committed_event_schemas_match_the_models(tmp_path: Path) -> None:
    """``docs/schemas`` (linked from the README for state systems) is what the models say;
    after a contract change run ``make schemas``."""
    from contracts.export import export_json_schemas

    fresh = export_json_schemas(tmp_path)
    committed = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    assert fresh
    for path in fresh:
        relative = path.relative_to(tmp_path)
        assert (committed / relative).read_text() == path.read_text(), relative


def test_asyncapi_documents_the_batched_consumers_with_their_groups() -> None:
    """The claim workers, the vouchers' balance consumer and the claims' voucher replica
    read with aiokafka, not FastStream; the document lists them all the same (item 8)."""
    from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, VOUCHERS

    document = build_asyncapi()
    expected = {
        f"{CLAIMS_SUBMITTED.name}:claims.worker": "atr-claims-workers",
        f"{CLAIMS_ADJUDICATED.name}:vouchers.{CLAIMS_ADJUDICATED.name}": (
            f"atr-vouchers.{CLAIMS_ADJUDICATED.name}"
        ),
        f"{VOUCHERS.name}:claims.{VOUCHERS.name}": f"atr-claims.{VOUCHERS.name}",
    }
    for key, group in expected.items():
        channel = document["channels"][key]
        assert f"`{group}`" in channel["description"]
        assert document["operations"][key]["action"] == "receive"
        message = channel["messages"]["SubscribeMessage"]["$ref"].rsplit("/", 1)[-1]
        payload = document["components"]["messages"][message]["payload"]
        # what the topic's publisher documents (every event type on it)
        published = document["components"]["messages"][f"{channel['address']}:Message"]
        assert payload == published["payload"]
        assert "EmptyPayload" not in json.dumps(payload)
