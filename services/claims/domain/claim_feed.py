"""The claims list's position and cursor (SPEC §4 ``GET /v1/claims``): pure values.

A line's place in the list is its :class:`Position`: the number of the transaction that
last wrote it (``changed_in``) and its claim id. A transaction's lines become visible
together and later transactions number higher than every one finished before them, so
a reader that only goes forward from its last position misses nothing, and a line
written again (decided, corrected) moves to the end and is listed again as it now is.

A cursor is the position of the last line a page listed and a digest of the filters it
was listed with, base64url text; it means nothing to a client (opaque) and is only
good for the same filters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

_VERSION = 1


@dataclass(frozen=True)
class FeedFilter:
    """Which lines a list reads: one provider's or all (None), one status or all, and
    only those written at or after ``updated_since``."""

    provider_id: str | None = None
    status: str | None = None
    updated_since: datetime | None = None

    def digest(self) -> str:
        """A short fingerprint of the filters (what a cursor is bound to)."""
        since = self.updated_since.astimezone(UTC).isoformat() if self.updated_since else ""
        text = f"{self.provider_id or ''}|{self.status or ''}|{since}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, order=True)
class Position:
    """Where a line stands in the list: (``changed_in``, ``claim_id``)."""

    changed_in: int
    claim_id: str


START = Position(-1, "")
"""Before every line."""


class BadCursorError(ValueError):
    """The cursor is not one this service issued, or was issued for other filters."""


def encode_cursor(position: Position, feed_filter: FeedFilter) -> str:
    """The opaque cursor of ``position`` under ``feed_filter``."""
    raw = json.dumps(
        [_VERSION, position.changed_in, position.claim_id, feed_filter.digest()],
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, feed_filter: FeedFilter) -> Position:
    """The position a cursor names; :class:`BadCursorError` for one that is malformed
    or was issued with other filters."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, changed_in, claim_id, digest = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise BadCursorError("not a cursor this API issued") from None
    if (
        version != _VERSION
        or not isinstance(changed_in, int)
        or isinstance(changed_in, bool)
        or not isinstance(claim_id, str)
        or not isinstance(digest, str)
    ):
        raise BadCursorError("not a cursor this API issued")
    if digest != feed_filter.digest():
        raise BadCursorError(
            "issued for other filters: repeat the provider_id, status and updated_since "
            "it was issued with"
        )
    return Position(changed_in, claim_id)
