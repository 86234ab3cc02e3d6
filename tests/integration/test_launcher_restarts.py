"""``atr up`` supervises: ``kill -9`` of a service or of the embedded PostgreSQL restarts
it; the broker's death stops all.

One real launcher (embedded broker, embedded PostgreSQL): vouchers is SIGKILLed and must
come back on its port with the death and restart on the console while everything else
keeps running; then the PostgreSQL server is SIGKILLed and must be started again (its
data is on disk) with every service ready again; then the embedded broker is SIGKILLed,
which the launcher cannot recover from (its topics and offsets were in memory), so it
must stop every process, say why and exit non-zero.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from services.kit.processes import free_port
from services.kit.settings import SERVICES


class Console:
    """The launcher's merged stdout/stderr, read line by line in a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stdout = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float) -> bool:
        """Until a line satisfies ``predicate`` (True) or the deadline/EOF (False)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return False
            self.lines.append(line)
            if predicate(line):
                return True
        return False

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_service_is_restarted_and_a_dead_broker_stops_everything(
    tmp_path: Path,
) -> None:
    ports = {name: free_port() for name in [*SERVICES, "gateway"]}
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.update({f"ATR_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["ATR_DATA_DIR"] = str(tmp_path / "var")
    env["ATR_KAFKA_PORT"] = str(free_port())
    env["ATR_POSTGRES_PORT"] = str(free_port())
    env.pop("ATR_DATABASE_URL_TEMPLATE", None)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    console = Console(launcher)
    try:
        assert console.wait_for(lambda line: line.startswith("Press Ctrl-C"), 120), console.text
        children = psutil.Process(launcher.pid).children(recursive=True)
        vouchers = next(c for c in children if c.cmdline()[-2:] == ["-m", "services.vouchers"])
        gateway = next(c for c in children if c.cmdline()[-2:] == ["-m", "services.gateway"])

        vouchers.send_signal(signal.SIGKILL)
        assert console.wait_for(lambda line: "vouchers is ready again" in line, 90), console.text
        assert "vouchers died (killed by SIGKILL); restarting now (attempt 1 of" in console.text
        assert "vouchers restarted (pid " in console.text
        assert _ready(ports["vouchers"])
        assert launcher.poll() is None
        assert gateway.is_running()  # the others were left alone

        postmaster = next(
            c for c in children if c.ppid() == launcher.pid and "postgres" in c.name()
        )
        postmaster.send_signal(signal.SIGKILL)
        assert console.wait_for(lambda line: "postgres restarted (pid " in line, 90), console.text
        assert "postgres died (killed by SIGKILL); restarting now" in console.text
        deadline = time.monotonic() + 90
        while not all(_ready(port) for port in ports.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert all(_ready(port) for port in ports.values()), console.text
        assert launcher.poll() is None
        children = psutil.Process(launcher.pid).children(recursive=True)  # the new server

        broker = next(c for c in children if "tansu" in c.name() or "broker" in c.cmdline())
        children = psutil.Process(launcher.pid).children(recursive=True)
        broker.send_signal(signal.SIGKILL)
        assert launcher.wait(timeout=90) == 1
        console.wait_for(lambda line: False, 5)  # drain what is left
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=60)
    assert "embedded broker died (killed by SIGKILL)" in console.text
    assert "stopping everything" in console.text
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []
