"""A short-lived memory of authenticated opaque tokens, per gateway process.

Looking a token up costs a pooled database connection and four round trips (checkout
ping, begin, select, rollback) on every request; for an EHR posting claims one at a time
that was the larger part of each acknowledgement. A token that verified is remembered
for ``ttl_s`` seconds (``ATR_AUTH_CACHE_S``) by its keyed hash, never by its value:

- revoking a token through this gateway process forgets it at once (:meth:`forget`);
  another gateway replica stops accepting it within ``ttl_s`` — the bound an operator
  accepts by setting ``ttl_s`` (0 turns the memory off: every request is looked up);
- a token's own expiry is checked on every use, remembered or not;
- only successes are remembered: an unknown or revoked token is looked up every time
  (and counted by the failed-authentication throttle).

Pure and clock-driven (``now`` is passed in) so the rule is tested without waiting.
Memory is bounded: at most ``max_tokens`` are kept, the least recently used dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from services.gateway.domain.tokens import Principal, is_expired


@dataclass(frozen=True)
class _Remembered:
    principal: Principal
    expires_at: datetime | None
    until: float


class PrincipalCache:
    """Principals of recently verified tokens by token hash, each for ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float, max_tokens: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_tokens = max_tokens
        self._entries: OrderedDict[str, _Remembered] = OrderedDict()

    def get(self, token_hash: str, now: float, wall: datetime) -> Principal | None:
        """The remembered principal, or None when not remembered, remembered longer than
        ``ttl_s`` ago (``now``, monotonic seconds) or past the token's expiry (``wall``)."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if now >= entry.until or is_expired(entry.expires_at, wall):
            del self._entries[token_hash]
            return None
        self._entries.move_to_end(token_hash)
        return entry.principal

    def remember(
        self, token_hash: str, principal: Principal, expires_at: datetime | None, now: float
    ) -> None:
        """Remember a token that just verified (nothing when the memory is off)."""
        if self.ttl_s <= 0:
            return
        self._entries[token_hash] = _Remembered(principal, expires_at, now + self.ttl_s)
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self.max_tokens:
            self._entries.popitem(last=False)

    def forget(self, token_id: str) -> None:
        """Forget every remembered token with this id (it was just revoked)."""
        for key in [k for k, e in self._entries.items() if e.principal.token_id == token_id]:
            del self._entries[key]
