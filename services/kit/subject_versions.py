"""Subject versions: per topic and subject, how many versioned facts
(:attr:`contracts.envelope.Event.versioned`) this database emitted or applied.

The counts are written by :meth:`services.kit.unit_of_work.UnitOfWork.commit` in the
transaction of the facts themselves, so a count an owner reports is the number of
facts it had committed when asked; a replica's count is the number it has applied.
A replica whose count for a subject has reached the owner's includes every fact the
owner had acknowledged by then (the order of arrival does not matter: events are
counted once, by id, by the idempotent consumers). Each topic's total is kept too (the
subject :data:`~services.kit.unit_of_work.TOPIC_TOTAL`): a replica whose total, read
before the owner was asked, has reached the owner's has applied every fact the owner
had committed — one number answers for all subjects.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.api.versions import MAX_SUBJECTS, SubjectVersions, SubjectVersionsQuery
from services.kit.unit_of_work import TOPIC_TOTAL


async def read_versions(
    session: AsyncSession, table: Table, wanted: Mapping[str, Collection[str]]
) -> dict[str, dict[str, int]]:
    """The stored version of each wanted subject, per topic (absent when never counted)."""
    found: dict[str, dict[str, int]] = {topic: {} for topic in wanted}
    for topic, subjects in wanted.items():
        if not subjects:
            continue
        rows = await session.execute(
            select(table.c.subject, table.c.version).where(
                table.c.topic == topic, table.c.subject.in_(list(subjects))
            )
        )
        found[topic] = {row.subject: int(row.version) for row in rows}
    return found


async def read_totals(
    session: AsyncSession, table: Table, topics: Collection[str]
) -> dict[str, int]:
    """Each topic's total count of versioned facts (0 when none)."""
    rows = await session.execute(
        select(table.c.topic, table.c.version).where(
            table.c.topic.in_(list(topics)), table.c.subject == TOPIC_TOTAL
        )
    )
    found = dict.fromkeys(topics, 0)
    found.update({row.topic: int(row.version) for row in rows})
    return found


def versions_router() -> APIRouter:
    """``POST /internal/subject-versions``: this service's versions of the subjects
    asked about (as the owner of their facts)."""
    router = APIRouter(prefix="/internal", include_in_schema=False)

    @router.post("/subject-versions")
    async def subject_versions(query: SubjectVersionsQuery, request: Request) -> SubjectVersions:
        if sum(len(subjects) for subjects in query.subjects.values()) > MAX_SUBJECTS:
            raise HTTPException(413, f"at most {MAX_SUBJECTS} subjects per question")
        runtime = request.app.state.runtime
        table = runtime.tables.subject_versions
        async with runtime.db.read_sessions() as session:
            totals = await read_totals(session, table, query.subjects)
            versions = await read_versions(session, table, query.subjects)
        return SubjectVersions(versions=versions, totals=totals)

    return router
