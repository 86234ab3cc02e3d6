"""Replaying a service database's outbox onto an empty broker (the real broker, SQLite
and PostgreSQL): every row, oldest first, with its key and headers, then marked
published so no relay sends it again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table, select, update

from contracts.envelope import STRUCTURED_CONTENT_TYPE
from services.kit import event_replay
from services.kit.broker import ensure_topics
from services.kit.database import Database
from services.kit.event_replay import replay_outbox
from services.kit.schema import (
    OUTBOX_IN_PROGRESS,
    OUTBOX_PUBLISHED,
    add_kit_tables,
)
from services.kit.unit_of_work import UnitOfWork
from tests.infrastructure import sqlalchemy_postgres_url
from tests.kit.events import Tally, TallyBumped, fresh_topic, tally_metadata
from tests.kit.test_outbox_relay import _consume


async def test_every_row_goes_out_in_commit_order_and_ends_published(
    database_url: str, bootstrap_servers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small rounds, so the test crosses round boundaries (keyset paging by seq)
    monkeypatch.setattr(event_replay, "CHUNK", 7)
    metadata, _ = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(database_url)
    topic, other = fresh_topic(), fresh_topic()
    await ensure_topics(bootstrap_servers, [topic, other])
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        events = [TallyBumped(subject=f"k{i % 3}", data=Tally(counter=f"c{i}")) for i in range(20)]
        async with UnitOfWork(db, tables) as uow:
            for i, event in enumerate(events):
                uow.emit(other if i % 5 == 0 else topic, event)
            await uow.commit()
        outbox = tables.outbox
        seqs = await _seqs(db, outbox)
        # as a stopped platform leaves them: most published, the last ones committed but
        # not yet sent, one leased to a relay that died
        async with db.sessions() as session, session.begin():
            await session.execute(
                update(outbox)
                .where(outbox.c.seq <= seqs[14])
                .values(status=OUTBOX_PUBLISHED, published_at=datetime.now(UTC))
            )
            await session.execute(
                update(outbox)
                .where(outbox.c.seq == seqs[15])
                .values(status=OUTBOX_IN_PROGRESS, claimed_by="relay-dead")
            )

        replayed = await replay_outbox(database_url, bootstrap_servers)

        assert replayed.events == 20
        for name, sent in (
            (topic.name, [e for i, e in enumerate(events) if i % 5 != 0]),
            (other.name, [e for i, e in enumerate(events) if i % 5 == 0]),
        ):
            received = await _consume(bootstrap_servers, name, len(sent))
            assert len(received) == len(sent)
            assert all(
                headers["content-type"] == STRUCTURED_CONTENT_TYPE.encode()
                for _, _, headers in received
            )
            # one partition per key: commit order holds per key, as the relay keeps it
            for key in ("k0", "k1", "k2"):
                got = [
                    TallyBumped.model_validate_json(value).id
                    for k, value, _ in received
                    if k == key.encode()
                ]
                assert got == [e.id for e in sent if e.subject == key]
        async with db.sessions() as session:
            rows = (await session.execute(select(outbox.c.status, outbox.c.claimed_by))).all()
        assert {row.status for row in rows} == {OUTBOX_PUBLISHED}
        assert {row.claimed_by for row in rows} == {None}
    finally:
        await db.dispose()


async def _seqs(db: Database, outbox: Table) -> list[int]:
    async with db.sessions() as session:
        return list((await session.scalars(select(outbox.c.seq).order_by(outbox.c.seq))).all())


async def test_a_database_without_an_outbox_has_nothing_to_replay(
    database_url: str, bootstrap_servers: str
) -> None:
    replayed = await replay_outbox(database_url, bootstrap_servers)
    assert replayed.events == 0


async def test_a_database_not_created_yet_has_nothing_to_replay(
    postgres_dsn: str, bootstrap_servers: str
) -> None:
    replayed = await replay_outbox(
        sqlalchemy_postgres_url("atr_never_created_db"), bootstrap_servers
    )
    assert replayed.events == 0
