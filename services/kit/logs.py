"""Structured JSON logs with the current trace id, and a PHI guard.

Every log line is one JSON object with ``service``, ``trace_id`` and ``span_id``. The
guard masks anything shaped like an SSN before a line is written — in the message, in
the text of an exception and its traceback, and in a stack dump: code never logs
identity fields, and this is the net under that rule (SPEC §5 Security). Database
engines are built with ``hide_parameters=True`` (services/kit/database.py), so a failed
statement's error names the SQL but never the values bound to it.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

SSN_PATTERN = re.compile(r"\b\d{3}-?\d{2}-?\d{4}\b")
SSN_MASK = "***-**-****"


def redact(text: str) -> str:
    """``text`` with every SSN-shaped run of digits masked."""
    return SSN_PATTERN.sub(SSN_MASK, text)


class TraceAndPrivacyFilter(logging.Filter):
    """Adds trace ids to each record and masks SSN-shaped digits in its message."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops one."""
        ctx = trace.get_current_span().get_span_context()
        record.service = self.service
        record.trace_id = f"{ctx.trace_id:032x}" if ctx.is_valid else None
        record.span_id = f"{ctx.span_id:016x}" if ctx.is_valid else None
        message = record.getMessage()
        if SSN_PATTERN.search(message):
            record.msg = redact(message)
            record.args = None
        return True


class RedactingJsonFormatter(JsonFormatter):
    """JSON lines whose exception text and stack dumps are masked like the message."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's API name
        """The traceback text with SSN-shaped values masked (exception messages and
        any SQL parameters a driver put into them)."""
        return _redacted(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's API name
        """A stack dump with SSN-shaped values masked."""
        return _redacted(super().formatStack(stack_info))


def _redacted(text: str | list[str]) -> str:
    """The formatter gives text or, with ``exc_info_as_array``, a list of lines."""
    return redact(text if isinstance(text, str) else "\n".join(text))


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines with trace ids."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        RedactingJsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(TraceAndPrivacyFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
