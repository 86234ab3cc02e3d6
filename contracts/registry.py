"""Which events travel on which topic: the message union of every topic."""

from __future__ import annotations

import importlib
import typing
from typing import Any

from contracts.envelope import Event
from contracts.topics import (
    CLAIMS_ADJUDICATED,
    CLAIMS_SUBMITTED,
    CLIENTS,
    PAYMENTS,
    PROVIDERS,
    VOUCHERS,
    Topic,
)

_TOPIC_UNIONS: dict[str, tuple[str, str]] = {
    PROVIDERS.name: ("contracts.providers", "ProviderEvent"),
    CLIENTS.name: ("contracts.clients", "ClientEvent"),
    VOUCHERS.name: ("contracts.vouchers", "VoucherEvent"),
    CLAIMS_SUBMITTED.name: ("contracts.claims", "ClaimSubmittedEvent"),
    CLAIMS_ADJUDICATED.name: ("contracts.claims", "ClaimAdjudicatedEvent"),
    PAYMENTS.name: ("contracts.payments", "PaymentEvent"),
}


def event_union(topic: Topic) -> Any | None:
    """The discriminated union of ``topic``'s events, as consumers validate a message
    with it (``TypeAdapter(event_union(topic))``); None until its contracts exist."""
    target = _TOPIC_UNIONS.get(topic.name)
    if target is None:
        return None
    try:
        module = importlib.import_module(target[0])
    except ModuleNotFoundError:
        return None
    return getattr(module, target[1])


def events_of(topic: Topic) -> list[type[Event]]:
    """The event classes published on ``topic`` (empty until its contracts exist)."""
    union = event_union(topic)
    if union is None:
        return []
    inner = typing.get_args(union)[0]
    members = typing.get_args(inner) or (inner,)
    return [member for member in members if isinstance(member, type) and issubclass(member, Event)]
