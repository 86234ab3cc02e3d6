"""OpenTelemetry tracing: one trace from the HTTP request through Kafka to the last write.

HTTP spans come from the FastAPI and httpx instrumentations; Kafka spans from FastStream's
``KafkaTelemetryMiddleware``. The outbox stores the W3C ``traceparent`` of the
transaction that wrote an event, and the relay publishes under that context, so the trace
survives the hop through the database.
"""

from __future__ import annotations

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
    return str(span.to_json(indent=None)) + "\n"


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
