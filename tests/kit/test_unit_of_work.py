"""Unit of work and idempotent-consumer guard on SQLite and PostgreSQL (one
transaction per unit of work; rolled back unless committed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from contracts.topics import Topic
from services.kit.database import Database
from services.kit.schema import OUTBOX_IN_PROGRESS, OUTBOX_NOT_PUBLISHED, add_kit_tables
from services.kit.subject_versions import read_totals, read_versions
from services.kit.unit_of_work import OutboxRecord, UnitOfWork
from tests.kit.events import Tally, TallyBumped, tally_metadata

TOPIC = Topic("atr.test.uow.v1", key="counter", partitions=1, description="t")


async def _setup(url: str):  # type: ignore[no-untyped-def]
    metadata, tally = tally_metadata()
    tables = add_kit_tables(metadata)
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return db, tables, tally


async def test_unit_of_work_rolls_back_unless_committed(database_url: str) -> None:
    db, tables, tally = await _setup(database_url)
    try:
        async with UnitOfWork(db, tables) as uow:
            await uow.session.execute(tally.insert().values(counter="a", value=1))
            uow.emit(TOPIC, TallyBumped(subject="a", data=Tally(counter="a")))
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(tally)) == 0
            assert await session.scalar(select(func.count()).select_from(tables.outbox)) == 0
    finally:
        await db.dispose()


class RecordingPublisher:
    """Stands in for the relay: remembers what a commit handed over."""

    instance_id = "relay-test"

    def __init__(self) -> None:
        self.handed: list[OutboxRecord] = []

    def publish_committed(self, records: Sequence[OutboxRecord]) -> None:
        self.handed += records


async def test_commit_writes_state_and_outbox_rows_together(database_url: str) -> None:
    db, tables, tally = await _setup(database_url)
    try:
        event = TallyBumped(subject="a", data=Tally(counter="a"))
        async with UnitOfWork(db, tables) as uow:
            await uow.session.execute(tally.insert().values(counter="a", value=1))
            uow.emit(TOPIC, event)
            await uow.commit()
        async with db.sessions() as session:
            assert await session.scalar(select(tally.c.value)) == 1
            row = (await session.execute(select(tables.outbox))).one()
        assert row.event_id == str(event.id)
        assert row.message_key == "a"
        assert row.topic == TOPIC.name
        assert row.status == OUTBOX_NOT_PUBLISHED
        assert TallyBumped.model_validate_json(row.payload) == event
        assert row.claimed_by is None  # no publisher: the relay's polling finds it
    finally:
        await db.dispose()


async def test_commit_hands_rows_leased_to_the_publisher_after_the_commit(
    database_url: str,
) -> None:
    db, tables, tally = await _setup(database_url)
    publisher = RecordingPublisher()
    try:
        events = [TallyBumped(subject=f"k{i}", data=Tally(counter="a")) for i in range(3)]
        async with UnitOfWork(db, tables, publisher=publisher) as uow:
            await uow.session.execute(tally.insert().values(counter="a", value=1))
            for event in events:
                uow.emit(TOPIC, event)
            await uow.commit()
        assert [r.event_id for r in publisher.handed] == [str(e.id) for e in events]
        assert [r.key for r in publisher.handed] == ["k0", "k1", "k2"]
        assert [TallyBumped.model_validate_json(r.payload) for r in publisher.handed] == events
        async with db.sessions() as session:
            rows = (await session.execute(select(tables.outbox))).all()
        assert {(r.status, r.claimed_by) for r in rows} == {(OUTBOX_IN_PROGRESS, "relay-test")}
        assert all(r.claimed_at is not None for r in rows)
    finally:
        await db.dispose()


async def test_a_rolled_back_unit_hands_nothing_to_the_publisher(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    publisher = RecordingPublisher()
    try:
        async with UnitOfWork(db, tables, publisher=publisher) as uow:
            uow.emit(TOPIC, TallyBumped(subject="a", data=Tally(counter="a")))
        assert publisher.handed == []
    finally:
        await db.dispose()


async def test_first_time_is_true_once_per_consumer_and_event(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    try:
        async with UnitOfWork(db, tables) as uow:
            assert await uow.first_time("c1", "t", "e1") is True
            assert await uow.first_time("c1", "t", "e1") is False
            assert await uow.first_time("c2", "t", "e1") is True  # another consumer
            await uow.commit()
        async with UnitOfWork(db, tables) as uow:
            assert await uow.first_time("c1", "t", "e1") is False
        async with UnitOfWork(db, tables) as uow:  # a rolled-back guard leaves no trace
            assert await uow.first_time("c1", "t", "e2") is True
        async with UnitOfWork(db, tables) as uow:
            assert await uow.first_time("c1", "t", "e2") is True
    finally:
        await db.dispose()


async def test_discarded_events_are_not_written(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    publisher = RecordingPublisher()
    try:
        kept = TallyBumped(subject="b", data=Tally(counter="b"))
        async with UnitOfWork(db, tables, publisher=publisher) as uow:
            uow.emit(TOPIC, TallyBumped(subject="a", data=Tally(counter="a")))
            uow.discard_events()  # the caller decided again
            uow.emit(TOPIC, kept)
            await uow.commit()
        async with db.sessions() as session:
            ids = list(await session.scalars(select(tables.outbox.c.event_id)))
        assert ids == [str(kept.id)]
        assert [r.event_id for r in publisher.handed] == [str(kept.id)]
    finally:
        await db.dispose()


class VersionedBump(TallyBumped):
    """A versioned fact (counted per subject by its producer and by replicas)."""

    versioned = True


async def test_versioned_facts_are_counted_per_subject_at_commit(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    try:
        async with UnitOfWork(db, tables) as uow:
            uow.emit(TOPIC, VersionedBump(subject="a", data=Tally(counter="a")))
            uow.emit(TOPIC, VersionedBump(subject="a", data=Tally(counter="a")))
            uow.emit(TOPIC, TallyBumped(subject="b", data=Tally(counter="b")))  # not versioned
            mark = uow.events_emitted
            uow.emit(TOPIC, VersionedBump(subject="c", data=Tally(counter="c")))
            uow.discard_events(mark)  # discarded: not counted either
            await uow.commit()
        async with UnitOfWork(db, tables) as uow:  # a replica counts what it applied
            uow.applied(TOPIC, VersionedBump(subject="a", data=Tally(counter="a")))
            uow.applied(TOPIC, TallyBumped(subject="b", data=Tally(counter="b")))
            await uow.commit()
        async with UnitOfWork(db, tables) as uow:  # rolled back: nothing counted
            uow.emit(TOPIC, VersionedBump(subject="a", data=Tally(counter="a")))
        async with db.sessions() as session:
            found = await read_versions(
                session, tables.subject_versions, {TOPIC.name: ["a", "b", "c"], "other": []}
            )
            totals = await read_totals(session, tables.subject_versions, [TOPIC.name, "other"])
        assert found == {TOPIC.name: {"a": 3}, "other": {}}
        assert totals == {TOPIC.name: 3, "other": 0}
    finally:
        await db.dispose()


async def test_after_commit_callbacks_run_only_when_the_unit_commits(database_url: str) -> None:
    """What a unit registers with ``after_commit`` (the claim store's decision metrics)
    runs once after its commit and never for a unit rolled back."""
    db, tables, tally = await _setup(database_url)
    ran: list[str] = []
    try:
        async with UnitOfWork(db, tables) as uow:
            await uow.session.execute(tally.insert().values(counter="a", value=1))
            uow.after_commit(lambda: ran.append("rolled back"))
        async with UnitOfWork(db, tables) as uow:
            await uow.session.execute(tally.insert().values(counter="b", value=1))
            uow.after_commit(lambda: ran.append("committed"))
            assert ran == []
            await uow.commit()
        assert ran == ["committed"]
    finally:
        await db.dispose()
