"""Session fixtures: one real broker and one PostgreSQL for the run; SQLite and
PostgreSQL databases (tests/infrastructure.py says which broker and which PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contracts.topics import ALL_TOPICS
from services.kit.broker import ensure_topics
from tests.infrastructure import (
    create_postgres_database,
    drop_postgres_database,
    kafka_broker,
    postgres_admin_dsn,
    sqlalchemy_postgres_url,
    stop_test_postgres,
)


@pytest.fixture(scope="session", autouse=True)
def _test_postgres_lifetime() -> Iterator[None]:
    """Stop the session's embedded PostgreSQL at the end (started on first use)."""
    yield
    stop_test_postgres()


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The test PostgreSQL's maintenance database (embedded unless ATR_TEST_POSTGRES_DSN)."""
    return postgres_admin_dsn()


@pytest.fixture(scope="session")
def bootstrap_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker with the registry's topics created."""
    import asyncio

    with kafka_broker(tmp_path_factory.mktemp("broker")) as servers:
        asyncio.run(ensure_topics(servers, ALL_TOPICS))
        yield servers


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind (a SQLite file and one on the test PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        return
    name = await create_postgres_database()
    try:
        yield sqlalchemy_postgres_url(name)
    finally:
        await drop_postgres_database(name)
