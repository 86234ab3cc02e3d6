"""Alert rules and dashboards parse and reference only metrics the services export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from services.kit.metrics import ServiceMetrics
from services.kit.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}
PROMQL_WORDS = frozenset(
    {
        "sum", "max", "min", "avg", "rate", "increase", "by", "without", "histogram_quantile",
        "clamp_min", "le", "service", "group", "topic", "partition", "route", "status",
        "instance", "humanizePercentage", "type", "outcome",
    }
)  # fmt: skip


def _sample_names(registry: CollectorRegistry) -> set[str]:
    return {
        f"{family.name}{suffix}"
        for family in registry.collect()
        for suffix in SUFFIXES.get(family.type, ("",))
    }


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name a service exposes on /metrics (the kit's families for each
    service and the claim worker's adjudication families, plus the payments ledger gauge
    registered in services/payments/app.py)."""
    names: set[str] = set()
    for service in (*SERVICES, "gateway"):
        metrics = ServiceMetrics.create(service)
        if service == "claims":
            assert metrics.adjudication  # registers the claim worker's families
        names |= _sample_names(metrics.registry)
    payments_app = (ROOT / "services" / "payments" / "app.py").read_text()
    names |= set(re.findall(r'Gauge\(\s*"(atr_[a-z_]+)"', payments_app))
    assert {
        "atr_ledger_violations",
        "atr_claim_decisions_total",
        "atr_adjudication_latency_seconds_bucket",
    } <= names
    return names


def test_no_metric_name_carries_a_service_name(exported: set[str]) -> None:
    """The service is a label, not part of the name (the operators' spec)."""
    for name in exported:
        assert not any(f"_{service}_" in name for service in (*SERVICES, "gateway")), name


def _metrics_in(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    without_numbers = re.sub(r"(?<![\w.])\d+(\.\d+)?(e-?\d+)?", "", without_ranges)
    return {
        word
        for word in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", without_numbers)
        if word not in PROMQL_WORDS
    }


def test_alert_rules_parse_and_reference_exported_metrics(exported: set[str]) -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    names = {rule["alert"] for rule in alerts}
    assert {
        "AtrConsumerLagHigh",
        "AtrDeadLetters",
        "AtrOutboxBacklog",
        "AtrLedgerInvariantViolated",
        "AtrHttp5xxRate",
    } <= names
    for rule in alerts:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        used = _metrics_in(rule["expr"])
        assert used, rule["expr"]
        assert used <= exported, (rule["alert"], used - exported)
        assert "by (service" in rule["expr"], rule["alert"]  # one rule per concern


def test_dashboards_parse_and_query_exported_metrics(exported: set[str]) -> None:
    dashboards = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"]
        assert dashboard["title"]
        targets = [t for panel in dashboard["panels"] for t in panel["targets"]]
        assert targets
        for target in targets:
            used = _metrics_in(target["expr"])
            assert used, target["expr"]
            assert used <= exported, (path.name, used - exported)
