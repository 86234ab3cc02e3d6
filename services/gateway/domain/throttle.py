"""Failed-authentication throttling per client address (abuse: token guessing).

A token is 256 random bits, so guessing one is hopeless — unless nothing slows the
guesser and nobody notices. Each address may fail ``limit`` times within ``window_s``
seconds; after that every request from it is refused with 429 and ``Retry-After``
until its oldest counted failure leaves the window (valid tokens too: answering a
valid guess differently from an invalid one would tell the guesser it won).

Pure and clock-driven (``now`` is passed in), so the rule is tested without waiting.
Memory is bounded: at most ``max_addresses`` are tracked, the least recently failing
forgotten first.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque


class FailedAuthThrottle:
    """Sliding-window count of failed authentications per client address."""

    def __init__(self, limit: int, window_s: float, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str, now: float) -> int | None:
        """Seconds ``address`` must wait before it may try again, or None if it may now."""
        failures = self._failures.get(address)
        if failures is None:
            return None
        self._forget_old(failures, now)
        if not failures:
            del self._failures[address]
            return None
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[0] + self.window_s - now))

    def record_failure(self, address: str, now: float) -> int:
        """Count one failed authentication; returns the failures now in the window."""
        failures = self._failures.pop(address, None) or deque()
        self._forget_old(failures, now)
        failures.append(now)
        self._failures[address] = failures  # most recent last
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)
        return len(failures)

    def _forget_old(self, failures: deque[float], now: float) -> None:
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
