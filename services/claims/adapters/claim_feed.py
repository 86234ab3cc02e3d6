"""The claims list's reads, and the number every write of a ``claims`` row carries.

Order: (``changed_in``, ``claim_id``), where ``changed_in`` is the number of the
transaction that last wrote the line (:func:`change_number`). Neither ``updated_at``
nor a sequence value drawn during the write would do on PostgreSQL: two writers draw
them in one order and may commit in the other, so a reader that had gone past the
later-committed number would never see the other line. Instead:

- PostgreSQL: ``changed_in`` is the writer's transaction id (``pg_current_xact_id()``),
  and a page lists only lines of transactions older than every transaction still
  running (``pg_snapshot_xmin(pg_current_snapshot())``, read in the same statement):
  all of those have ended, so nothing can later appear before the page's last
  position. A line of a transaction still running waits for the next page (the list
  lags the newest writes by the longest transaction then running, usually
  milliseconds).
- SQLite: writers are serial (``BEGIN IMMEDIATE``), so one more than the highest
  ``changed_in`` stored, read under the write lock, numbers transactions in commit
  order; every committed line may be listed.

A line written again (decided after pending, corrected) gets its new transaction's
number: it leaves its old place and is listed again, as it now is, further on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import BigInteger, Select, Text, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.claims.adapters.orm import claims
from services.claims.domain.claim_feed import FeedFilter, Position


async def change_number(session: AsyncSession) -> int:
    """The number of ``session``'s writing transaction, for ``claims.changed_in`` of
    every line it stores, decides or corrects (call it once the transaction writes:
    on SQLite the write lock is held from ``BEGIN IMMEDIATE``)."""
    if (await session.connection()).dialect.name == "postgresql":
        number = await session.scalar(
            select(cast(cast(func.pg_current_xact_id(), Text), BigInteger))
        )
    else:
        number = await session.scalar(select(func.coalesce(func.max(claims.c.changed_in), 0) + 1))
    return int(number or 0)


async def read_page(
    session: AsyncSession, feed_filter: FeedFilter, after: Position, limit: int
) -> Sequence[Any]:
    """Up to ``limit`` ``claims`` rows past ``after`` that ``feed_filter`` selects, in
    list order (only those no running transaction can still precede, on PostgreSQL)."""
    dialect = (await session.connection()).dialect.name
    rows: Sequence[Any] = (
        await session.execute(page_query(feed_filter, after, limit, dialect))
    ).all()
    return rows


def page_query(
    feed_filter: FeedFilter, after: Position, limit: int, dialect: str
) -> Select[tuple[Any, ...]]:
    """The query :func:`read_page` runs on ``dialect`` (``ix_claims_provider_changes``
    reads one provider's lines in order, ``ix_claims_changes`` everyone's)."""
    key = (claims.c.changed_in, claims.c.claim_id)
    query = (
        select(claims)
        .where(
            or_(
                key[0] > after.changed_in,
                and_(key[0] == after.changed_in, key[1] > after.claim_id),
            )
        )
        .order_by(*key)
        .limit(limit)
    )
    if dialect == "postgresql":
        horizon = select(
            cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
        ).scalar_subquery()
        query = query.where(claims.c.changed_in < horizon)
    if feed_filter.provider_id is not None:
        query = query.where(claims.c.provider_id == feed_filter.provider_id)
    if feed_filter.status is not None:
        query = query.where(claims.c.status == feed_filter.status)
    if feed_filter.updated_since is not None:
        query = query.where(claims.c.updated_at >= feed_filter.updated_since.astimezone(UTC))
    return query
