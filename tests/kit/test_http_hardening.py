"""Bad input never becomes a 5xx or a traceback with PHI (SPEC §4 413/422/409, §5)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import Column, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import create_async_engine

from services.kit.http import BodySizeLimit, install_database_errors
from services.kit.logs import configure_logging

metadata = MetaData()
people = Table("people", metadata, Column("id", String, primary_key=True))


def _app(tmp_path: Path) -> FastAPI:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", hide_parameters=True)
    app = FastAPI()
    install_database_errors(app)

    @app.post("/people/{person_id}")
    async def add(person_id: str) -> dict[str, str]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(people).values(id=person_id))
        return {"id": person_id}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=1_000)
    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_a_constraint_the_data_breaks_is_409_without_the_values(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/people/123-45-6789")).status_code == 200
    again = await client.post("/people/123-45-6789")
    assert again.status_code == 409
    assert "123-45-6789" not in again.text
    assert "INSERT" not in again.text


async def test_a_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"x" * size

    answer = await client.post("/echo", content=chunks(30, 100))
    assert answer.status_code == 413
    assert "exceeds 1000 bytes" in answer.json()["detail"]
    small = await client.post("/echo", content=chunks(2, 200))
    assert small.status_code == 200
    assert small.json() == {"bytes": 400}


def test_exception_text_and_sql_parameters_are_masked_in_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("eligibility")
    try:
        raise ValueError("INSERT INTO clients (ssn) VALUES ('123-45-6789')")
    except ValueError:
        logging.getLogger("probe").exception("write failed")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert "123-45-6789" not in line
    assert "***-**-****" in record["exc_info"]
    assert "ValueError" in record["exc_info"]
