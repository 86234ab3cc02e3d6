"""Prometheus metrics, named ``atr_<service>_<what>_<unit>``.

One registry per process. FastStream's ``KafkaPrometheusMiddleware`` adds the message
metrics; this module adds HTTP request metrics, consumer outcomes and outbox lag.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class ServiceMetrics:
    """The metrics every service exposes on ``/metrics``."""

    registry: CollectorRegistry
    http_requests: Counter
    http_latency: Histogram
    events_processed: Counter
    events_duplicate: Counter
    events_dead_lettered: Counter
    outbox_published: Counter
    outbox_pending: Gauge
    partitions_assigned: Gauge
    background_restarts: Counter

    @classmethod
    def create(cls, service: str) -> ServiceMetrics:
        """Build the registry and metric families for ``service``."""
        registry = CollectorRegistry()
        prefix = f"atr_{service}"
        return cls(
            registry=registry,
            http_requests=Counter(
                f"{prefix}_http_requests",
                "HTTP requests served",
                ["method", "route", "status"],
                registry=registry,
            ),
            http_latency=Histogram(
                f"{prefix}_http_request_duration_seconds",
                "HTTP request latency",
                ["method", "route"],
                registry=registry,
            ),
            events_processed=Counter(
                f"{prefix}_events_processed",
                "Events consumed and committed, by topic and type",
                ["topic", "type"],
                registry=registry,
            ),
            events_duplicate=Counter(
                f"{prefix}_events_duplicate",
                "Events skipped because their id was already processed",
                ["topic"],
                registry=registry,
            ),
            events_dead_lettered=Counter(
                f"{prefix}_events_dead_lettered",
                "Messages sent to the dead-letter topic",
                ["topic"],
                registry=registry,
            ),
            outbox_published=Counter(
                f"{prefix}_outbox_published",
                "Outbox rows published to Kafka",
                ["topic"],
                registry=registry,
            ),
            outbox_pending=Gauge(
                f"{prefix}_outbox_pending_rows",
                "Outbox rows not yet published",
                registry=registry,
            ),
            partitions_assigned=Gauge(
                f"{prefix}_partitions_assigned",
                "Partitions a batched consumer of this process holds, by group (how claim "
                "workers share the claims topic)",
                ["group"],
                registry=registry,
            ),
            background_restarts=Counter(
                f"{prefix}_background_task_restarts",
                "Background loops (consumers, relay, schedulers) restarted after a failure",
                ["task"],
                registry=registry,
            ),
        )
