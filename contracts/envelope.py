"""The event envelope every message on Kafka carries, and the two kinds of contract.

We use CloudEvents 1.0 *structured mode*: the envelope attributes (`id`, `type`,
`source`, `time`, `subject`, `specversion`, `datacontenttype` and our extension
`schemaversion`) sit in the JSON body next to `data`, everywhere, so a state system
reading a topic needs nothing but the body. Kafka headers carry the event format
(`content-type: application/cloudevents+json`, set by the producer) and W3C
`traceparent` for tracing.

Two bases, because the two kinds of contract evolve differently:

- :class:`Contract` for request bodies: unknown fields are refused, so a caller's typo
  is a 422, not a silently dropped value;
- :class:`EventData` for the envelope and every model inside an event's ``data``:
  unknown fields are ignored, so a producer may add a field within a version and every
  consumer built on the older model reads the event as before (README "Events and
  contracts": additive changes within a version, a new ``.vN`` otherwise).

A concrete event subclasses :class:`Event`, pins ``type`` to a ``Literal`` and gives
``data`` a concrete payload model. ``schemaversion`` is explicit on every event; a
change that is not additive becomes a new event type version on a ``.v2`` topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.ids import uuid7

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
"""The Kafka ``content-type`` header of a structured-mode CloudEvent in JSON (Kafka
protocol binding §3.2)."""


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC (envelope `time`)."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every request body: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EventData(BaseModel):
    """Base of the envelope and of every model in an event: immutable, unknown fields
    ignored (a newer producer's additive field is dropped, not refused)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(EventData):
    """CloudEvents 1.0 structured-mode envelope (https://cloudevents.io).

    ``id`` is the idempotency key every consumer dedupes on; ``subject`` is the id of
    the entity the event is about and equals the Kafka message key. Attribute names
    follow CloudEvents: lower-case letters and digits only.
    """

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents spec version.")
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
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="Media type of `data`: always JSON."
    )
    schemaversion: int = Field(
        default=1,
        description="Version of this event type's `data` schema (CloudEvents extension "
        "attribute); additive changes keep it, a breaking change is a new `.vN` topic.",
    )
    data: Any

    topic_key_field: ClassVar[str] = ""
    versioned: ClassVar[bool] = False
    """Counted per ``subject`` by its producer and by every replica that applies it
    (``subject_versions``): a replica whose count for a subject has reached the
    producer's has applied every such fact the producer had committed when asked
    (read-your-writes for adjudication, README "When a claim is decided")."""

    def to_bytes(self) -> bytes:
        """Serialise the envelope as the JSON bytes put on Kafka."""
        return self.model_dump_json().encode()
