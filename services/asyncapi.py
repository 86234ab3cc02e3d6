"""The AsyncAPI document of the platform, generated from every service's FastStream broker."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from contracts.envelope import STRUCTURED_CONTENT_TYPE
from services.kit.runtime import BatchConsumerDoc
from services.kit.settings import SERVICES

MESSAGE_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "content-type": {
            "type": "string",
            "const": STRUCTURED_CONTENT_TYPE,
            "description": "CloudEvents structured mode, JSON event format.",
        },
        "traceparent": {
            "type": "string",
            "description": "W3C trace context of the request that caused the event.",
        },
    },
}
"""The Kafka headers of every platform message (the dead-letter topic adds its own)."""


def build_asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 of all services' publishers and subscribers, as a dict.

    FastStream documents its own subscribers; the batched consumers (claim workers,
    balances, voucher replicas) read with aiokafka and are added from their runtimes.
    """
    apps = [importlib.import_module(f"services.{name}.app") for name in [*SERVICES, "gateway"]]
    brokers = [app.broker for app in apps]
    spec = AsyncAPI(
        *brokers,
        title="ATR voucher platform events",
        version="1.0.0",
        description="Kafka topics of the ATR voucher platform. Messages are CloudEvents 1.0 "
        "in structured mode (envelope attributes in the JSON body, header `content-type: "
        "application/cloudevents+json`); `subject` equals the key. Within a topic version "
        "changes are additive (consumers ignore fields they do not know); anything else "
        "is a new `.vN` topic.",
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    document["defaultContentType"] = STRUCTURED_CONTENT_TYPE
    for app in apps:
        for consumer in app.runtime.batch_consumers:
            _add_batch_consumer(document, consumer)
    for message in document["components"]["messages"].values():
        message["headers"] = MESSAGE_HEADERS
    return document


def _add_batch_consumer(document: dict[str, Any], consumer: BatchConsumerDoc) -> None:
    """A ``receive`` operation on the consumer's topic, with the payload its publisher
    documents."""
    topic = consumer.topic.name
    key = f"{topic}:{consumer.name}"
    message = f"{key}:SubscribeMessage"
    published = document["components"]["messages"].get(f"{topic}:Message", {})
    document["components"]["messages"][message] = {
        "title": message,
        "payload": published.get("payload", {"$ref": "#/components/schemas/EmptyPayload"}),
    }
    document["channels"][key] = {
        "address": topic,
        "description": (
            f"{consumer.name} consumes {consumer.topic.description} In batches, consumer "
            f"group `{consumer.group_id}`; it applies {', '.join(consumer.event_types)}."
        ),
        "servers": document["channels"].get(topic, {}).get("servers", []),
        "messages": {"SubscribeMessage": {"$ref": f"#/components/messages/{message}"}},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.4.0"}},
    }
    document["operations"][key] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{key}"},
        "messages": [{"$ref": f"#/channels/{key}/messages/SubscribeMessage"}],
    }


def write_asyncapi(path: Path) -> None:
    """Write the AsyncAPI document to ``path``, keys sorted: FastStream lists channels in
    no fixed order, and a regenerated document should differ only where the contract
    does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_asyncapi(), indent=2, sort_keys=True) + "\n")
