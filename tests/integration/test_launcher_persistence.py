"""``make up`` keeps every service's data across a stop and start.

``atr up`` twice on one data directory (its embedded PostgreSQL cluster in
``<data dir>/postgres``): a provider registered (eligibility's database) and an API token
created (the gateway's database) before the stop are there after the start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from services.kit.processes import free_port
from services.kit.settings import SERVICES

ADMIN = "persistence-admin-token"


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.pop("ATR_DATABASE_URL_TEMPLATE", None)
    env.update({f"ATR_{name.upper()}_PORT": str(free_port()) for name in [*SERVICES, "gateway"]})
    env.update(
        {
            "ATR_DATA_DIR": str(data_dir),
            "ATR_KAFKA_PORT": str(free_port()),
            "ATR_POSTGRES_PORT": str(free_port()),
            "ATR_BOOTSTRAP_ADMIN_TOKEN": ADMIN,
            "ATR_ENVIRONMENT": "test",
        }
    )
    return env


class Up:
    """One ``atr up`` run, stopped with SIGTERM like Ctrl-C."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.gateway = f"http://127.0.0.1:{env['ATR_GATEWAY_PORT']}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_up(self, timeout_s: float = 180) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith("Press Ctrl-C"):
                return
        raise AssertionError("".join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=90)
        assert self.process.returncode == 0, "".join(self.lines)


def test_every_service_keeps_its_data_across_a_stop_and_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    provider_id = f"PRV-P{uuid.uuid4().hex[:8].upper()}"
    admin = {"Authorization": f"Bearer {ADMIN}"}

    first = Up(_env(data_dir))
    try:
        first.wait_up()
        summary = "".join(first.lines)
        assert "postgresql   127.0.0.1:" in summary
        assert str(data_dir / "postgres") in summary
        with httpx.Client(base_url=first.gateway, timeout=30) as gateway:
            answer = gateway.post(
                "/v1/providers",
                headers=admin,
                json={
                    "provider_id": provider_id,
                    "name": "Kept Provider",
                    "services": ["RECOVERY_MENTORING_IND"],
                    "counties": ["Boone"],
                },
            )
            assert answer.status_code == 201, answer.text
            answer = gateway.post(
                "/v1/tokens", headers=admin, json={"role": "state_system", "label": "kept"}
            )
            assert answer.status_code == 201, answer.text
            kept_token = {"Authorization": f"Bearer {answer.json()['token']}"}
    finally:
        first.stop()
    assert (data_dir / "postgres" / "PG_VERSION").exists()

    # new ports for everything: only the data directory is shared between the two runs
    second = Up(_env(data_dir))
    try:
        second.wait_up()
        with httpx.Client(base_url=second.gateway, timeout=30) as gateway:
            answer = gateway.get("/v1/providers", headers=kept_token)
            assert answer.status_code == 200, answer.text
            assert provider_id in answer.text
    finally:
        second.stop()
