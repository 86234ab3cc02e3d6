"""A tiny event and table used to test the kit on its own."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import BigInteger, Column, MetaData, String, Table

from contracts.envelope import Contract, Event
from contracts.topics import Topic


class Tally(Contract):
    """Payload: which counter to bump."""

    counter: str


class TallyBumped(Event):
    """Test event; its handler is deliberately not idempotent by itself."""

    type: Literal["test.tally.bumped"] = "test.tally.bumped"
    source: str = "/tests"
    data: Tally


def tally_metadata() -> tuple[MetaData, Table]:
    """A fresh metadata with a counter table (the kit adds outbox and inbox)."""
    metadata = MetaData()
    table = Table(
        "tally",
        metadata,
        Column("counter", String(50), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    return metadata, table


def fresh_topic() -> Topic:
    """A topic of its own per test, so tests never see each other's messages."""
    return Topic(
        f"atr.test.{uuid.uuid4().hex[:8]}.v1", key="counter", partitions=3, description="t"
    )
