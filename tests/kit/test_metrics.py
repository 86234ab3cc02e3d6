"""Consumer lag is exported per partition with the service as a label, and a partition
a rebalance moved away stops being reported by the process that lost it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kit.metrics import ServiceMetrics


def _lag(metrics: ServiceMetrics, partition: int) -> float | None:
    return metrics.registry.get_sample_value(
        "atr_consumer_lag_messages",
        {
            "service": "claims",
            "group": "atr-claims-workers",
            "topic": "atr.claims.submitted.v1",
            "partition": str(partition),
        },
    )


def test_lag_per_partition_with_the_service_label() -> None:
    metrics = ServiceMetrics.create("claims")
    topic = "atr.claims.submitted.v1"
    metrics.record_lag("atr-claims-workers", {(topic, 0): 12, (topic, 1): 0})
    assert _lag(metrics, 0) == 12
    assert _lag(metrics, 1) == 0
    metrics.record_lag("other-group", {("atr.vouchers.v1", 0): 5})
    metrics.record_lag("atr-claims-workers", {(topic, 1): 3})
    assert _lag(metrics, 0) is None  # moved to another worker
    assert _lag(metrics, 1) == 3
    assert (
        metrics.registry.get_sample_value(
            "atr_consumer_lag_messages",
            {
                "service": "claims",
                "group": "other-group",
                "topic": "atr.vouchers.v1",
                "partition": "0",
            },
        )
        == 5
    )


def test_every_family_is_named_without_the_service_and_labelled_with_it() -> None:
    """The operators' spec: "the service name as a label, not part of every metric
    name" — ``atr_<what>`` with a ``service`` label on every sample."""
    metrics = ServiceMetrics.create("vouchers")
    metrics.http_requests.labels("vouchers", "GET", "/v1/vouchers", 200).inc()
    metrics.http_latency.labels("vouchers", "GET", "/v1/vouchers").observe(0.1)
    metrics.events_processed.labels("vouchers", "t", "x").inc()
    metrics.events_duplicate.labels("vouchers", "t").inc()
    metrics.events_dead_lettered.labels("vouchers", "t").inc()
    metrics.outbox_published.labels("vouchers", "t").inc()
    metrics.outbox_pending.labels("vouchers").set(3)
    metrics.partitions_assigned.labels("vouchers", "g").set(1)
    metrics.background_restarts.labels("vouchers", "relay").inc()
    metrics.record_lag("g", {("t", 0): 1})
    now = datetime(2026, 7, 1, tzinfo=UTC)
    metrics.adjudication.record([("approved", now - timedelta(seconds=1))], now)
    families = list(metrics.registry.collect())
    assert len(families) == 12
    for family in families:
        assert family.name.startswith("atr_")
        assert "vouchers" not in family.name
        assert family.samples
        for sample in family.samples:
            assert sample.labels.get("service") == "vouchers", sample


def test_adjudication_outcomes_and_latency() -> None:
    """Decisions are counted by outcome (SPEC §3.4) and their latency observed from
    ``submitted_at``; pending lines are not decisions; the families are registered once
    however often they are used."""
    metrics = ServiceMetrics.create("claims")
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)
    metrics.adjudication.record(
        [
            ("approved", now - timedelta(seconds=0.2)),
            ("approved", now - timedelta(seconds=3)),
            ("partially_approved", now - timedelta(seconds=0.2)),
            ("denied", None),
            ("pending", now - timedelta(seconds=1)),
        ],
        now,
    )
    assert metrics.adjudication is metrics.adjudication

    def decisions(outcome: str) -> float | None:
        return metrics.registry.get_sample_value(
            "atr_claim_decisions_total", {"service": "claims", "outcome": outcome}
        )

    assert decisions("approved") == 2
    assert decisions("partially_approved") == 1
    assert decisions("denied") == 1
    assert decisions("pending") is None
    latency = {"service": "claims"}
    get = metrics.registry.get_sample_value
    assert get("atr_adjudication_latency_seconds_count", latency) == 3
    assert get("atr_adjudication_latency_seconds_sum", latency) == pytest.approx(3.4)
    assert get("atr_adjudication_latency_seconds_bucket", latency | {"le": "0.25"}) == 2
    assert get("atr_adjudication_latency_seconds_bucket", latency | {"le": "5.0"}) == 3


def test_the_benchmark_reads_a_workers_partitions_from_the_exposition() -> None:
    """bench/claims.py waits on ``atr_partitions_assigned`` as ``/metrics`` prints it
    (labels in name order: group, then service)."""
    from prometheus_client import generate_latest

    from bench.claims import ASSIGNED

    metrics = ServiceMetrics.create("claims")
    metrics.partitions_assigned.labels("claims", "atr-claims-workers").set(4)
    assert ASSIGNED.findall(generate_latest(metrics.registry)) == [b"4.0"]
