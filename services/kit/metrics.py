"""Prometheus metrics, named ``atr_<service>_<what>_<unit>``; families added later
(``atr_consumer_lag_messages``) carry the service as a ``service`` label instead, the
Prometheus practice the operators' rules and dashboards (deploy/) lean on.

One registry per process. FastStream's ``KafkaPrometheusMiddleware`` adds the message
metrics; this module adds HTTP request metrics, consumer outcomes, outbox backlog and
consumer lag.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class ServiceMetrics:
    """The metrics every service exposes on ``/metrics``."""

    service: str
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
    consumer_lag: Gauge

    @classmethod
    def create(cls, service: str) -> ServiceMetrics:
        """Build the registry and metric families for ``service``."""
        registry = CollectorRegistry()
        prefix = f"atr_{service}"
        return cls(
            service=service,
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
            consumer_lag=Gauge(
                "atr_consumer_lag_messages",
                "Records on a partition this process holds that its consumer group has "
                "not yet read (high watermark minus position)",
                ["service", "group", "topic", "partition"],
                registry=registry,
            ),
        )

    def record_lag(self, group: str, lags: dict[tuple[str, int], int]) -> None:
        """Export the lag of every partition ``group`` holds in this process and drop
        the partitions it no longer holds (a rebalance moved them to another worker)."""
        held = {(topic, str(partition)) for topic, partition in lags}
        for labels in list(self.consumer_lag._metrics):
            _, labelled_group, labelled_topic, labelled_partition = labels
            if labelled_group == group and (labelled_topic, labelled_partition) not in held:
                self.consumer_lag.remove(*labels)
        for (topic, partition), lag in lags.items():
            self.consumer_lag.labels(self.service, group, topic, str(partition)).set(lag)
