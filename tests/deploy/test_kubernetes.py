"""The Kubernetes overlays render, and what they say matches the code: probes on routes
and ports the services serve, settings the services read, the claim workers' group,
topic and partition count, and the network rules of deploy/k8s/base/networkpolicies.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from contracts.topics import CLAIMS_SUBMITTED
from services.claims.service_layer.worker import GROUP_ID
from services.kit.http import health_router
from services.kit.settings import SERVICES, Settings
from tests.deploy.kustomize import Manifest, render
from tests.deploy.settings_names import settings_env_names

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
ALL_SERVICES = (*SERVICES, "gateway")


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    return render(K8S / "overlays" / request.param)


def _of(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _pod(o: Manifest) -> dict[str, Any]:
    pod: dict[str, Any] = o["spec"]["template"]["spec"]
    return pod


def _config(objects: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = _of(objects, "ConfigMap")["atr-config"]["data"]
    return data


def _service_of(container: dict[str, Any]) -> str:
    command = container["command"]
    if command[:2] == ["python", "-m"]:
        return str(command[2]).removeprefix("services.")
    assert command[:2] == ["atr", "migrate"]
    return str(command[2])


def test_every_object_is_named_and_namespaced(rendered: list[Manifest]) -> None:
    namespaces = {o["metadata"].get("namespace") for o in rendered}
    assert len(namespaces) == 1
    assert None not in namespaces
    for o in rendered:
        assert o["apiVersion"]
        assert o["kind"]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", o["metadata"]["name"])
        assert o["metadata"]["labels"]["app.kubernetes.io/part-of"] == "atr"


def test_a_deployment_service_and_budget_per_service(rendered: list[Manifest]) -> None:
    deployments = _of(rendered, "Deployment")
    services = _of(rendered, "Service")
    budgets = _of(rendered, "PodDisruptionBudget")
    expected = {f"atr-{s}" for s in ALL_SERVICES}
    assert set(deployments) == set(services) == set(budgets) == expected
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert services[name]["spec"]["selector"] == selector
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector


def test_probes_resources_and_ports_match_what_the_services_serve(
    rendered: list[Manifest],
) -> None:
    routes = {route.path for route in health_router(object()).routes}  # type: ignore[attr-defined]
    defaults = Settings()
    services = _of(rendered, "Service")
    for name, deployment in _of(rendered, "Deployment").items():
        pod = _pod(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True
        [container] = pod["containers"]
        service = _service_of(container)
        assert name == f"atr-{service}"
        port = defaults.port_of(service)
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert services[name]["spec"]["ports"][0]["port"] == port
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["path"] in routes
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}
        assert container["image"].startswith("registry.example.org/atr/atr-platform:")


def test_every_variable_set_is_a_setting(rendered: list[Manifest]) -> None:
    known = settings_env_names()
    config = _config(rendered)
    assert set(config) <= known, set(config) - known
    for o in rendered:
        if o["kind"] not in ("Deployment", "Job"):
            continue
        for container in _pod(o)["containers"]:
            names = {env["name"] for env in container.get("env", [])}
            assert names <= known, names - known
            assert "DATABASE_URL" in names
            key = next(e for e in container["env"] if e["name"] == "DATABASE_URL")
            ref = key["valueFrom"]["secretKeyRef"]
            assert ref["key"] == f"{_service_of(container)}-database-url"
    # the settings accept the rendered configuration (secrets as the Secret names them)
    secret = _of(rendered, "Secret")["atr-secrets"]["stringData"]
    environment = {
        **config,
        "ATR_SECRET_KEY": secret["secret-key"],
        "ATR_INTERNAL_KEY": secret["internal-key"],
        "ATR_SSN_HASH_KEY": secret["ssn-hash-key"],
    }
    if config["KAFKA_SECURITY_PROTOCOL"].startswith("SASL"):
        environment |= {"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}
    settings = Settings(**_as_fields(environment))
    assert settings.environment == "production"
    assert all("REPLACE-ME" in value for value in secret.values())


def _as_fields(environment: dict[str, str]) -> dict[str, Any]:
    """Environment variables as Settings keyword arguments (by alias or ATR_ name)."""
    by_env: dict[str, str] = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = alias.choices if alias is not None and hasattr(alias, "choices") else []
        for name in [*map(str, choices), f"ATR_{field_name}".upper()]:
            by_env[name] = field_name
    fields: dict[str, Any] = {by_env[name]: value for name, value in environment.items()}
    if "kafka_retention_ms" in fields:
        import json

        fields["kafka_retention_ms"] = json.loads(fields["kafka_retention_ms"])
    fields.pop("kafka_ssl_cafile", None)  # a path inside the pod
    return fields


def test_claim_workers_scale_on_their_group_lag_up_to_the_partitions(
    rendered: list[Manifest],
) -> None:
    scaled = _of(rendered, "ScaledObject")["atr-claims"]["spec"]
    assert scaled["scaleTargetRef"]["name"] in _of(rendered, "Deployment")
    assert "replicas" not in _of(rendered, "Deployment")["atr-claims"]["spec"]
    [trigger] = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == GROUP_ID
    assert trigger["metadata"]["topic"] == CLAIMS_SUBMITTED.name
    config = _config(rendered)
    partitions = int(config["KAFKA_CLAIMS_PARTITIONS"])
    assert scaled["maxReplicaCount"] == partitions
    assert 1 <= scaled["minReplicaCount"] <= partitions
    assert trigger["metadata"]["bootstrapServers"] == config["KAFKA_BOOTSTRAP_SERVERS"]
    if config["KAFKA_SECURITY_PROTOCOL"] != "PLAINTEXT":
        auth = trigger["authenticationRef"]["name"]
        assert auth in _of(rendered, "TriggerAuthentication")


def test_the_gateway_scales_on_cpu(rendered: list[Manifest]) -> None:
    hpa = _of(rendered, "HorizontalPodAutoscaler")["atr-gateway"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "atr-gateway",
    }
    [metric] = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]


def test_migrations_job_covers_every_service(rendered: list[Manifest]) -> None:
    job = _of(rendered, "Job")["atr-migrate"]
    migrated = {_service_of(c) for c in _pod(job)["containers"]}
    assert migrated == set(ALL_SERVICES)


def test_prod_talks_tls_and_sasl_to_kafka() -> None:
    objects = render(K8S / "overlays" / "prod")
    config = _config(objects)
    assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["KAFKA_SASL_MECHANISM"] in ("SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
    assert int(config["KAFKA_REPLICATION_FACTOR"]) >= 3
    for deployment in _of(objects, "Deployment").values():
        [container] = _pod(deployment)["containers"]
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert str(Path(config["KAFKA_SSL_CAFILE"]).parent) in mounts
        assert {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"} <= {
            e["name"] for e in container["env"]
        }
    dev = render(K8S / "overlays" / "dev")
    for name, deployment in _of(objects, "Deployment").items():
        prod_limits = _pod(deployment)["containers"][0]["resources"]["limits"]
        dev_limits = _pod(_of(dev, "Deployment")[name])["containers"][0]["resources"]["limits"]
        assert _memory(prod_limits["memory"]) >= _memory(dev_limits["memory"])
    assert (
        _of(objects, "HorizontalPodAutoscaler")["atr-gateway"]["spec"]["minReplicas"]
        > _of(dev, "HorizontalPodAutoscaler")["atr-gateway"]["spec"]["minReplicas"]
    )


def _memory(quantity: str) -> int:
    units = {"Mi": 2**20, "Gi": 2**30}
    return int(quantity[:-2]) * units[quantity[-2:]]


def _ingress_policies(objects: list[Manifest]) -> dict[str, list[dict[str, Any]]]:
    """The ingress rules that apply to each Deployment's pods."""
    policies = _of(objects, "NetworkPolicy").values()
    applying: dict[str, list[dict[str, Any]]] = {}
    for name, deployment in _of(objects, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        applying[name] = [
            rule
            for policy in policies
            if "Ingress" in policy["spec"]["policyTypes"]
            and policy["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()
            for rule in policy["spec"].get("ingress", [])
        ]
    return applying


def test_only_the_gateway_takes_outside_traffic(rendered: list[Manifest]) -> None:
    policies = _of(rendered, "NetworkPolicy")
    deny = policies["atr-default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    for name, rules in _ingress_policies(rendered).items():
        open_rules = [rule for rule in rules if "from" not in rule]
        if name == "atr-gateway":
            assert open_rules == [{"ports": [{"protocol": "TCP", "port": 8080}]}]
            continue
        assert open_rules == [], name
        service = name.removeprefix("atr-")
        callers = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in rules
            for peer in rule["from"]
            if "namespaceSelector" not in peer
        }
        # the gateway; and the claim workers confirm facts with their owners (SPEC §3.4)
        owners_called_by_claims = {"eligibility", "vouchers"}
        expected = {"atr-gateway"} | (
            {"atr-claims"} if service in owners_called_by_claims else set()
        )
        assert callers == expected, name
        ports = {p["port"] for rule in rules for p in rule["ports"]}
        assert ports == {Settings().port_of(service)}
        monitoring = [
            peer for rule in rules for peer in rule["from"] if "namespaceSelector" in peer
        ]
        assert all("podSelector" in peer for peer in monitoring)  # Prometheus only


def test_services_still_reach_kafka_and_postgresql(rendered: list[Manifest]) -> None:
    egress = _of(rendered, "NetworkPolicy")["atr-egress"]["spec"]
    assert egress["podSelector"]["matchLabels"] == {"app.kubernetes.io/part-of": "atr"}
    ports = {p["port"] for rule in egress["egress"] for p in rule["ports"]}
    bootstrap_ports = {
        int(server.rsplit(":", 1)[1])
        for server in _config(rendered)["KAFKA_BOOTSTRAP_SERVERS"].split(",")
    }
    assert bootstrap_ports <= ports
    assert 5432 in ports
    assert 53 in ports
