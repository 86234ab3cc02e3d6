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
}


def events_of(topic: Topic) -> list[type[Event]]:
    """The event classes published on ``topic`` (empty until its contracts exist)."""
    target = _TOPIC_UNIONS.get(topic.name)
    if target is None:
        return []
    try:
        module = importlib.import_module(target[0])
    except ModuleNotFoundError:
        return []
    union: Any = getattr(module, target[1])
    inner = typing.get_args(union)[0]
    members = typing.get_args(inner) or (inner,)
    return [member for member in members if isinstance(member, type) and issubclass(member, Event)]
