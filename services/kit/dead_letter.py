"""The dead-letter topic: one way for every consumer to set a poison message aside.

Bad input loses nothing and stops nothing: a message that cannot be processed goes to
``atr.deadletter.v1`` with its original bytes and the error, and the consumer keeps
going. Errors are described field by field without input values, so no data is echoed.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from contracts.topics import DEAD_LETTER

log = logging.getLogger(__name__)


def describe_validation_error(exc: ValidationError) -> str:
    """Field-level validation errors without input values (no data echoed)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )


async def dead_letter_record(
    runtime: Any, record: ConsumerRecord[Any, Any], error: str, consumer: str
) -> None:
    """Publish a poison record's original bytes and the error to ``atr.deadletter.v1``."""
    await runtime.broker.publish(
        record.value or b"",
        DEAD_LETTER.name,
        key=record.key,
        headers={
            "x-error": error[:4000],
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
            "x-consumer": consumer,
        },
    )
    runtime.metrics.events_dead_lettered.labels(runtime.metrics.service, record.topic).inc()
    log.warning(
        "message dead-lettered (%s[%d]@%d) by %s",
        record.topic,
        record.partition,
        record.offset,
        consumer,
    )
