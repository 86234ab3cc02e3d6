"""Prometheus metrics, named ``atr_<what>_<unit>`` with the service as a ``service``
label on every family (the operators' spec: "consumer lag, outcomes and adjudication
latency exported as metrics; the service name as a label, not part of every metric
name"), so one alert rule or dashboard query covers every service ``by (service)``.

One registry per process. FastStream's ``KafkaPrometheusMiddleware`` adds the message
metrics (``atr_received_messages_total`` …, with the same ``service`` label); this
module adds HTTP request metrics, consumer outcomes, outbox backlog, consumer lag and,
for the claims worker, adjudication outcomes and latency
(:class:`AdjudicationMetrics`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

SERVICE_LABEL = "service"
"""The label naming the service that exports a sample (every ``atr_*`` family has it)."""

ADJUDICATION_LATENCY_BUCKETS = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    3600.0,
)
"""Seconds from the gateway's acceptance of a line to its committed decision: most
lines are decided within a second, pending lines (SPEC §3.4) can wait much longer."""


@dataclass(frozen=True)
class AdjudicationMetrics:
    """What the claim worker exports about its decisions (SPEC §2 Observability:
    "adjudication outcomes"; the operators' spec: outcomes and adjudication latency)."""

    service: str
    decisions: Counter
    latency: Histogram

    @classmethod
    def create(cls, service: str, registry: CollectorRegistry) -> AdjudicationMetrics:
        """Register ``atr_claim_decisions_total{service,outcome}`` and
        ``atr_adjudication_latency_seconds{service}`` in ``registry``."""
        return cls(
            service=service,
            decisions=Counter(
                "atr_claim_decisions",
                "Claim lines decided and committed, by outcome (SPEC §3.4: approved, "
                "partially_approved, denied)",
                [SERVICE_LABEL, "outcome"],
                registry=registry,
            ),
            latency=Histogram(
                "atr_adjudication_latency_seconds",
                "From the gateway accepting a claim line (submitted_at) to its decision "
                "being committed",
                [SERVICE_LABEL],
                buckets=ADJUDICATION_LATENCY_BUCKETS,
                registry=registry,
            ),
        )

    def record(self, decided: Iterable[tuple[str, datetime | None]], now: datetime) -> None:
        """Count committed decisions by outcome and observe each one's latency.

        ``decided`` holds (outcome, submitted_at) per line decided in the committed
        transaction; ``pending`` lines are not decisions and are skipped, and a line
        without ``submitted_at`` is counted but has no latency to observe.
        """
        for outcome, submitted_at in decided:
            if outcome == "pending":
                continue
            self.decisions.labels(self.service, outcome).inc()
            if submitted_at is not None:
                self.latency.labels(self.service).observe(
                    max(0.0, (now - submitted_at).total_seconds())
                )


@dataclass(frozen=True)
class ServiceMetrics:
    """The metrics every service exposes on ``/metrics``; every family's first label is
    ``service`` (callers pass :attr:`service` first to ``labels``)."""

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
        return cls(
            service=service,
            registry=registry,
            http_requests=Counter(
                "atr_http_requests",
                "HTTP requests served",
                [SERVICE_LABEL, "method", "route", "status"],
                registry=registry,
            ),
            http_latency=Histogram(
                "atr_http_request_duration_seconds",
                "HTTP request latency",
                [SERVICE_LABEL, "method", "route"],
                registry=registry,
            ),
            events_processed=Counter(
                "atr_events_processed",
                "Events consumed and committed, by topic and type",
                [SERVICE_LABEL, "topic", "type"],
                registry=registry,
            ),
            events_duplicate=Counter(
                "atr_events_duplicate",
                "Events skipped because their id was already processed",
                [SERVICE_LABEL, "topic"],
                registry=registry,
            ),
            events_dead_lettered=Counter(
                "atr_events_dead_lettered",
                "Messages sent to the dead-letter topic",
                [SERVICE_LABEL, "topic"],
                registry=registry,
            ),
            outbox_published=Counter(
                "atr_outbox_published",
                "Outbox rows published to Kafka",
                [SERVICE_LABEL, "topic"],
                registry=registry,
            ),
            outbox_pending=Gauge(
                "atr_outbox_pending_rows",
                "Outbox rows not yet published",
                [SERVICE_LABEL],
                registry=registry,
            ),
            partitions_assigned=Gauge(
                "atr_partitions_assigned",
                "Partitions a batched consumer of this process holds, by group (how claim "
                "workers share the claims topic)",
                [SERVICE_LABEL, "group"],
                registry=registry,
            ),
            background_restarts=Counter(
                "atr_background_task_restarts",
                "Background loops (consumers, relay, schedulers) restarted after a failure",
                [SERVICE_LABEL, "task"],
                registry=registry,
            ),
            consumer_lag=Gauge(
                "atr_consumer_lag_messages",
                "Records on a partition this process holds that its consumer group has "
                "not yet read (high watermark minus position)",
                [SERVICE_LABEL, "group", "topic", "partition"],
                registry=registry,
            ),
        )

    @cached_property
    def adjudication(self) -> AdjudicationMetrics:
        """The claim worker's decision metrics, registered on first use (only the claims
        service decides lines, so only its ``/metrics`` carries them)."""
        return AdjudicationMetrics.create(self.service, self.registry)

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
