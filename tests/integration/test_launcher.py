"""``atr up`` (README command 1): clear failure on a taken port; no orphans on stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from services.kit.processes import free_port
from services.kit.settings import SERVICES


def _env(tmp_path: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.update({f"ATR_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["ATR_DATA_DIR"] = str(tmp_path / "var")
    env["ATR_KAFKA_PORT"] = str(free_port())
    env["ATR_POSTGRES_PORT"] = str(free_port())
    env.pop("ATR_DATABASE_URL_TEMPLATE", None)
    return env


def test_a_port_in_use_ends_up_with_a_clear_message_and_nonzero_exit(tmp_path: Path) -> None:
    ports = {name: free_port() for name in [*SERVICES, "gateway"]}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["gateway"]))
        squatter.listen()
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "up"],
            env=_env(tmp_path, ports),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"gateway ({ports['gateway']})" in done.stderr
    assert "already in use" in done.stderr


def test_up_serves_every_readyz_and_sigterm_leaves_no_process(tmp_path: Path) -> None:
    """Two claim workers and two payments workers, each pair on one database (they take
    turns migrating it); the embedded PostgreSQL is a child of the launcher and stops
    with it."""
    ports = {name: free_port() for name in [*SERVICES, "gateway"]}
    env = _env(tmp_path, ports)
    env["ATR_CLAIM_WORKERS"] = "2"
    env["ATR_PAYMENTS_WORKERS"] = "2"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert launcher.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 150  # beyond the launcher's own 120 s limit
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert any("ATR platform is up." in line for line in lines), "".join(lines)
        assert any(str(tmp_path / "var") in line for line in lines)
        for name, port in ports.items():
            assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200, name
        for service in ("claims", "payments"):
            second_worker = f"http://127.0.0.1:{ports[service] + 10}/readyz"
            assert httpx.get(second_worker, timeout=5).status_code == 200, f"{service}-2"
        assert any(line.split()[:1] == ["payments-2"] for line in lines), "".join(lines)
        children = psutil.Process(launcher.pid).children(recursive=True)
        # services, second workers, gateway, broker, PostgreSQL (and its own children)
        assert len(children) >= len(ports) + 4
        assert any("postgres" in c.name() for c in children)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=60)
    assert launcher.returncode == 0
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []
