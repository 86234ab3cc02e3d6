"""Consumer lag is exported per partition with the service as a label, and a partition
a rebalance moved away stops being reported by the process that lost it."""

from __future__ import annotations

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
