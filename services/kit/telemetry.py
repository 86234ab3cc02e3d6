"""OpenTelemetry tracing: one trace from the HTTP request through Kafka to the last write.

HTTP spans come from the FastAPI and httpx instrumentations; Kafka spans from FastStream's
``KafkaTelemetryMiddleware``. The outbox stores the W3C ``traceparent`` of the
transaction that wrote an event, and the relay publishes under that context, so the trace
survives the hop through the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from services.kit.settings import Settings

_file_handles: list[IO[str]] = []


def _one_line(span: ReadableSpan) -> str:
    """One span as one JSON line (the SDK's ``to_json`` fails on bytes attributes,
    which FastStream sets for Kafka keys)."""
    context = span.get_span_context()
    record = {
        "name": span.name,
        "context": {
            "trace_id": f"0x{context.trace_id:032x}" if context else None,
            "span_id": f"0x{context.span_id:016x}" if context else None,
        },
        "parent_id": f"0x{span.parent.span_id:016x}" if span.parent else None,
        "kind": str(span.kind),
        "start_time": span.start_time,
        "end_time": span.end_time,
        "status": span.status.status_code.name,
        "attributes": {
            key: value.decode(errors="replace") if isinstance(value, bytes) else value
            for key, value in (span.attributes or {}).items()
        },
        "service": span.resource.attributes.get("service.name"),
    }
    return json.dumps(record, default=str) + "\n"


def configure_tracing(settings: Settings) -> TracerProvider:
    """Install the process tracer provider with the exporter the settings choose.

    ``file`` writes one JSON span per line to ``$ATR_DATA_DIR/traces/<service>.jsonl``
    (used by tests and for local inspection); ``otlp`` uses the standard
    ``OTEL_EXPORTER_OTLP_*`` variables.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": f"atr-{settings.service}"}))
    exporter: SpanExporter | None = None
    if settings.otel_traces == "console":
        exporter = ConsoleSpanExporter(formatter=_one_line)
    elif settings.otel_traces == "file":
        directory = settings.data_dir / "traces"
        directory.mkdir(parents=True, exist_ok=True)
        handle = (directory / f"{settings.service}.jsonl").open("a", encoding="utf-8")
        _file_handles.append(handle)
        exporter = ConsoleSpanExporter(out=handle, formatter=_one_line)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        exporter = None
    elif settings.otel_traces == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def current_traceparent() -> dict[str, str]:
    """The W3C trace headers of the current context (empty when no span is active)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def attach_headers(headers: Mapping[str, str]) -> object:
    """Make the trace context carried by ``headers`` current; returns a detach token."""
    return context.attach(propagate.extract(dict(headers)))


def detach(token: object) -> None:
    """Undo :func:`attach_headers`."""
    context.detach(token)  # type: ignore[arg-type]
