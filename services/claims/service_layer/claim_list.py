"""The claims list (SPEC §4 ``GET /v1/claims?updated_since=&status=``): an EHR pulls
its lines' decisions page by page instead of polling claim ids.

Who sees what: a provider its own lines only (naming another provider is refused);
the administrative agency every provider's, or one provider's with ``provider_id``;
no other role (the gateway refuses them first). Order and cursor:
:mod:`services.claims.domain.claim_feed` and :mod:`services.claims.adapters.claim_feed`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.api.claims import ClaimPage
from services.claims.adapters.claim_feed import read_page
from services.claims.adapters.claim_lines import claim_view
from services.claims.domain.claim_feed import (
    START,
    FeedFilter,
    Position,
    decode_cursor,
    encode_cursor,
)
from services.kit.actor import Actor


class ListRefusedError(PermissionError):
    """The caller may not list these lines (another provider's, or not its role)."""


def scope_of(actor: Actor, provider_id: str | None) -> str | None:
    """The provider whose lines ``actor`` lists (None: every provider's), SPEC §4
    ``GET /v1/claims``: provider (its own), admin (any); :class:`ListRefusedError`
    otherwise."""
    if actor.role == "provider":
        if actor.provider_id is None or provider_id not in (None, actor.provider_id):
            raise ListRefusedError("a provider lists its own claims only")
        return actor.provider_id
    if actor.role == "admin":
        return provider_id
    raise ListRefusedError("only providers and the administrative agency list claims")


async def list_claims(
    session: AsyncSession, feed_filter: FeedFilter, cursor: str | None, limit: int
) -> ClaimPage:
    """Up to ``limit`` lines after ``cursor`` (from the first without one), each as
    ``GET /v1/claims/{id}`` shows it, and the cursor of the last one listed (the same
    cursor when none was). Raises
    :class:`~services.claims.domain.claim_feed.BadCursorError`."""
    after = START if cursor is None else decode_cursor(cursor, feed_filter)
    rows = await read_page(session, feed_filter, after, limit + 1)
    listed = rows[:limit]
    last = Position(listed[-1].changed_in, listed[-1].claim_id) if listed else after
    return ClaimPage(
        items=[claim_view(row) for row in listed],
        next_cursor=encode_cursor(last, feed_filter),
        has_more=len(rows) > limit,
    )
