"""The event envelope every message on Kafka carries.

We use CloudEvents 1.0 *structured mode*: the envelope attributes (`id`, `type`,
`source`, `time`, `subject`, `specversion`, `datacontenttype`) sit in the JSON body next
to `data`, everywhere, so a state system reading a topic needs nothing but the body.
Kafka headers carry only transport concerns (W3C `traceparent` for tracing).

A concrete event subclasses :class:`Event`, pins ``type`` to a ``Literal`` and gives
``data`` a concrete payload model. ``schema_version`` is explicit on every event; a
change that is not additive becomes a new event type on a ``.v2`` topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.ids import uuid7


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC (envelope `time`)."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every payload model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """CloudEvents 1.0 structured-mode envelope (https://cloudevents.io).

    ``id`` is the idempotency key every consumer dedupes on; ``subject`` is the id of
    the entity the event is about and equals the Kafka message key.
    """

    specversion: str = Field(default="1.0", description="CloudEvents spec version.")
    id: UUID = Field(
        default_factory=uuid7,
        description="Unique event id; consumers process each id at most once.",
    )
    type: str = Field(description="Event type, e.g. `atr.provider.registered`.")
    source: str = Field(
        description="URI-reference of the producing service, e.g. `/atr/eligibility`.",
        examples=["/atr/eligibility"],
    )
    time: AwareDatetime = Field(
        default_factory=utc_now, description="When the fact happened (UTC)."
    )
    subject: str = Field(description="Id of the entity the event is about; equals the Kafka key.")
    datacontenttype: str = Field(default="application/json")
    schema_version: int = Field(
        default=1, description="Version of this event type's `data` schema."
    )
    data: Any

    topic_key_field: ClassVar[str] = ""

    def to_bytes(self) -> bytes:
        """Serialise the envelope as the JSON bytes put on Kafka."""
        return self.model_dump_json().encode()
