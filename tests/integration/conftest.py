"""The whole platform as separate processes on a real broker and PostgreSQL.

PostgreSQL is the test session's (tests/infrastructure.py: one embedded server for the
run, or ``ATR_TEST_POSTGRES_DSN``), one fresh database per service, given to each process
as ``DATABASE_URL`` (so the launcher starts no PostgreSQL of its own here).

Started with the same :class:`services.launcher.Platform` ``make up`` uses, on free
ports, with file span exporters so tests can follow one trace across services, and with
two claim workers (``claims``, ``claims-2``) and two payments workers (``payments``,
``payments-2``), so the tests run against the scaled-out platform.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.kit.processes import free_port
from services.kit.settings import SERVICES, Settings
from services.launcher import Platform
from services.launcher_settings import LauncherSettings
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    postgres_base_dsn,
)

ADMIN_TOKEN = "integration-admin-token"


@dataclass
class RunningPlatform:
    """Handles a test needs: URLs, the admin token, database URLs, the data dir."""

    platform: Platform
    settings: Settings
    database_urls: dict[str, str]

    @property
    def gateway(self) -> str:
        return self.settings.url_of("gateway")

    def url_of(self, service: str) -> str:
        return self.settings.url_of(service)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @property
    def data_dir(self) -> Path:
        return self.platform.data_dir


@pytest.fixture(scope="session")
def platform(
    bootstrap_servers: str, postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    """Every service and the gateway, each with its own PostgreSQL database."""
    names = [*SERVICES, "gateway"]
    databases = {name: asyncio.run(create_postgres_database(f"atr_it_{name}")) for name in names}
    base = postgres_base_dsn().replace("postgresql://", "postgresql+asyncpg://")
    ports = {f"ATR_{name.upper()}_PORT": str(free_port()) for name in names}
    env = {
        **ports,
        "ATR_DATA_DIR": str(tmp_path_factory.mktemp("platform")),
        "ATR_OTEL_TRACES": "file",
        "ATR_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "ATR_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "ATR_KAFKA_HEARTBEAT_INTERVAL_MS": "2000",
        "ATR_ENVIRONMENT": "test",
        "ATR_CLAIM_WORKERS": "2",
        "ATR_PAYMENTS_WORKERS": "2",
        "ATR_CLAIM_PENDING_SWEEP_S": "1",
    }
    previous = {key: os.environ.get(key) for key in [*env, "KAFKA_BOOTSTRAP_SERVERS"]}
    os.environ.update(env)
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap_servers
    # one database per service: the template is resolved per process by the launcher
    template = base + "/atr_it_{service}"
    settings = LauncherSettings(database_url_template=template)
    platform = Platform(settings)
    platform._env_for = _per_service_database(platform._env_for, base, databases)  # type: ignore[method-assign]
    try:
        platform.start()
        yield RunningPlatform(
            platform, settings, {name: f"{base}/{db}" for name, db in databases.items()}
        )
    finally:
        platform.stop()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name in databases.values():
            asyncio.run(drop_postgres_database(name))


def _per_service_database(env_for, base: str, databases: dict[str, str]):  # type: ignore[no-untyped-def]
    def with_database(name: str) -> dict[str, str]:
        env: dict[str, str] = env_for(name)
        env["DATABASE_URL"] = f"{base}/{databases[name.split('-')[0]]}"
        return env

    return with_database


@pytest.fixture
async def gateway(platform: RunningPlatform):  # type: ignore[no-untyped-def]
    """An HTTP client for the gateway."""
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        yield client
