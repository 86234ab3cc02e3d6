"""Events may grow within a version; request bodies stay strict.

Compatibility promise (README "Events and contracts"): within a topic version a producer
only adds (fields, event types); a consumer ignores what it does not know. So every
event, with unknown attributes in the envelope and unknown fields in every object of
its ``data``, still validates through the topic's adapter, the one consumers use, and
equals the event without them. Request bodies refuse unknown fields (a 422).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.claims import ClaimSubmittedData, SubmitClaim
from contracts.clients import AuthorizedService, ServiceAuthorization
from contracts.envelope import Event
from contracts.registry import event_union, events_of
from contracts.topics import ALL_TOPICS, Topic
from contracts.vouchers import VoucherSnapshot
from tests.contracts.samples import sample

REGISTERED = [(topic, event) for topic in ALL_TOPICS for event in events_of(topic)]
IDS = [event.__name__ for _, event in REGISTERED]


def _with_unknown_fields(value: Any) -> Any:
    """``value`` with a field no model knows added to every JSON object in it."""
    if isinstance(value, dict):
        grown = {key: _with_unknown_fields(item) for key, item in value.items()}
        grown["added_in_a_later_release"] = {"anything": [1, "two"]}
        return grown
    if isinstance(value, list):
        return [_with_unknown_fields(item) for item in value]
    return value


@pytest.mark.parametrize(("topic", "event_class"), REGISTERED, ids=IDS)
def test_consumers_ignore_fields_they_do_not_know(topic: Topic, event_class: type[Event]) -> None:
    event = sample(event_class)
    body = json.loads(event.to_bytes())
    grown = _with_unknown_fields(body)
    grown["futureattribute"] = "a CloudEvents extension added later"
    assert grown["data"]["added_in_a_later_release"]
    adapter: TypeAdapter[Any] = TypeAdapter(event_union(topic))
    assert adapter.validate_json(json.dumps(grown)) == event
    assert event_class.model_validate(grown) == event


def _models_in(model: type[BaseModel]) -> set[type[BaseModel]]:
    """``model`` and every model class its fields can hold, transitively."""
    found: set[type[BaseModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        for field in current.model_fields.values():
            pending += _model_classes(field.annotation)
    return found


def _model_classes(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for argument in getattr(annotation, "__args__", ()) for m in _model_classes(argument)]


@pytest.mark.parametrize("event_class", [event for _, event in REGISTERED], ids=IDS)
def test_no_model_inside_an_event_forbids_unknown_fields(event_class: type[Event]) -> None:
    for model in _models_in(event_class):
        assert model.model_config.get("extra") == "ignore", model.__name__


def test_request_bodies_refuse_unknown_fields_that_events_accept() -> None:
    accepted = sample(ClaimSubmittedData)
    line = {
        k: v for k, v in accepted.model_dump(mode="json").items() if k in SubmitClaim.model_fields
    }
    with pytest.raises(ValidationError, match="surprise"):
        SubmitClaim.model_validate(line | {"end_time": None, "surprise": 1})
    grown = accepted.model_dump(mode="json") | {"surprise": 1}
    assert ClaimSubmittedData.model_validate(grown) == accepted

    service = {"service_code": "RECOVERY_MENTORING_IND", "units": 4, "surprise": 1}
    with pytest.raises(ValidationError, match="surprise"):
        AuthorizedService.model_validate(service)
    assert ServiceAuthorization.model_validate(service).units == 4


def test_a_requested_service_is_held_in_an_event_as_the_event_model() -> None:
    """Vouchers put a request's (strict) authorised services into event data; there they
    become the lenient event model, so the voucher equals itself read back."""
    requested = AuthorizedService(service_code="A1", units=2)
    fields = sample(VoucherSnapshot).model_dump() | {"authorized_services": [requested]}
    voucher = VoucherSnapshot(**fields)
    assert type(voucher.authorized_services[0]) is ServiceAuthorization
    assert VoucherSnapshot.model_validate_json(voucher.model_dump_json()) == voucher
