"""A state system's subscriber to ``atr.vouchers.v1`` (README "Voucher events").

Run it against a running platform::

    .venv/bin/python -m examples.voucher_subscriber --bootstrap 127.0.0.1:9092 \\
        --group my-state-system

It joins its own consumer group, reads from the beginning, validates every message
against the published contract (``contracts.vouchers.VoucherEvent``) and prints one line
per lifecycle change. Offsets are committed after each message is handled, so a restart
resumes where it stopped (at-least-once: dedupe on the event ``id``).

Messages are CloudEvents in structured mode (header ``content-type:
application/cloudevents+json``; ``schemaversion`` is the version of the event type's
``data``). Fields the contract does not know are ignored and event types it does not
know are skipped, so the subscriber keeps working when the platform adds either within
the topic's version.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer
from pydantic import BaseModel, TypeAdapter

from contracts.registry import events_of
from contracts.topics import VOUCHERS
from contracts.vouchers import VoucherEvent

EVENTS: TypeAdapter[VoucherEvent] = TypeAdapter(VoucherEvent)
KNOWN_TYPES = {event.model_fields["type"].default for event in events_of(VOUCHERS)}


class EventType(BaseModel):
    """Only the envelope's ``type``: enough to skip an event type added after this code."""

    type: str


async def voucher_events(bootstrap: str, group: str) -> AsyncIterator[VoucherEvent]:
    """Yield every voucher event in order per voucher (key = ``voucher_id``)."""
    consumer = AIOKafkaConsumer(
        VOUCHERS.name,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async for record in consumer:
            if EventType.model_validate_json(record.value).type in KNOWN_TYPES:
                yield EVENTS.validate_json(record.value)
            await consumer.commit()
    finally:
        await consumer.stop()


async def main(bootstrap: str, group: str) -> None:
    """Print each event: time, type, voucher, status and version."""
    async for event in voucher_events(bootstrap, group):
        voucher = event.data.voucher
        print(
            f"{event.time:%Y-%m-%d %H:%M:%S} {event.type:<32} {voucher.voucher_id} "
            f"status={voucher.status} version={voucher.version}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--group", default="example-state-system")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.bootstrap, arguments.group))
