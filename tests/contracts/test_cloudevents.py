"""Every registered event is a CloudEvent the reference SDK reads and writes back.

The ``cloudevents`` SDK (a dev dependency) checks what our own models would not: the
attribute names (lower-case letters and digits), ``specversion``, the types of the
required attributes and the Kafka protocol binding's structured mode.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from pydantic import TypeAdapter

from contracts.envelope import STRUCTURED_CONTENT_TYPE, Event
from contracts.registry import event_union, events_of
from contracts.topics import ALL_TOPICS, Topic
from tests.contracts.samples import sample

REGISTERED = [(topic, event) for topic in ALL_TOPICS for event in events_of(topic)]
IDS = [event.__name__ for _, event in REGISTERED]


def _as_published(event: Event) -> kafka.KafkaMessage:
    """The Kafka message the outbox relay sends for ``event`` (value, key, headers)."""
    return kafka.KafkaMessage(
        headers={"content-type": STRUCTURED_CONTENT_TYPE.encode()},
        key=event.subject.encode(),
        value=event.to_bytes(),
    )


def test_every_topic_with_contracts_is_covered() -> None:
    assert len(REGISTERED) >= 18
    assert {topic.name for topic, _ in REGISTERED} >= {
        "atr.clients.v1",
        "atr.providers.v1",
        "atr.vouchers.v1",
        "atr.claims.submitted.v1",
        "atr.claims.adjudicated.v1",
    }


@pytest.mark.parametrize(("topic", "event_class"), REGISTERED, ids=IDS)
def test_event_round_trips_through_the_sdk_kafka_structured_mode(
    topic: Topic, event_class: type[Event]
) -> None:
    event = sample(event_class)
    cloud_event = kafka.from_structured(_as_published(event), JSONFormat())
    assert cloud_event.get_specversion() == "1.0"
    assert cloud_event.get_id() == str(event.id)
    assert cloud_event.get_type() == event.type
    assert cloud_event.get_source() == event.source
    assert cloud_event.get_subject() == event.subject
    assert cloud_event.get_time() == event.time
    assert cloud_event.get_datacontenttype() == "application/json"
    assert cloud_event.get_extension("schemaversion") == event.schemaversion

    again = kafka.to_structured(cloud_event, JSONFormat())
    assert again.headers == {"content-type": STRUCTURED_CONTENT_TYPE.encode()}
    assert again.key == event.subject
    # the SDK wrote the Kafka key into the body as its `partitionkey` extension: an
    # attribute our envelope does not know, which consumers ignore
    assert json.loads(again.value)["partitionkey"] == event.subject
    adapter: TypeAdapter[Any] = TypeAdapter(event_union(topic))
    assert adapter.validate_json(again.value) == event


@pytest.mark.parametrize("event_class", [event for _, event in REGISTERED], ids=IDS)
def test_envelope_attribute_names_are_legal_cloudevents_names(event_class: type[Event]) -> None:
    """Lower-case ASCII letters and digits, at most 20 characters (CloudEvents 1.0 §2)."""
    for name in event_class.model_fields:
        assert re.fullmatch(r"[a-z0-9]{1,20}", name), f"{event_class.__name__}.{name}"


def test_the_sdk_refuses_the_old_attribute_name() -> None:
    """Why ``schema_version`` became ``schemaversion``: the underscore is not allowed."""
    event = sample(REGISTERED[0][1])
    legacy = event.to_bytes().replace(b'"schemaversion"', b'"schema_version"')
    message = kafka.KafkaMessage(headers={}, key=None, value=legacy)
    with pytest.raises(CloudEventValidationError):
        kafka.from_structured(message, JSONFormat())
