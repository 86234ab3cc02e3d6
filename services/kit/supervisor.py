"""When a child process dies: restart it now, after a backoff, or give up.

A pure policy — no processes, no clock of its own — so the launcher's supervision rules
are unit-tested without starting anything. The launcher (:mod:`services.launcher`) feeds
it each unexpected death with the time it saw it and acts on the answer.

Rules: the first death of a process within the window is restarted at once (a one-off
crash costs nothing); each further death within the window waits twice as long as the
one before (``initial_backoff_s`` doubling up to ``max_backoff_s``); more than ``limit``
deaths within ``window_s`` means the process keeps failing, and the platform gives up.
Deaths older than the window are forgotten, so a process that crashes once a day is
restarted at once every time.
"""

from __future__ import annotations

import signal
from collections import defaultdict, deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Restart:
    """Start the process again ``delay_s`` seconds after its death (0: now)."""

    name: str
    attempt: int
    """Deaths of this process within the window, this one included (1, 2, …)."""
    delay_s: float


@dataclass(frozen=True)
class GiveUp:
    """The process keeps failing: stop the platform and name it."""

    name: str
    deaths: int
    window_s: float


Decision = Restart | GiveUp


@dataclass
class RestartPolicy:
    """Deaths → :class:`Restart` (now or after a backoff) or :class:`GiveUp`."""

    limit: int
    window_s: float
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    _deaths: defaultdict[str, deque[float]] = field(
        default_factory=lambda: defaultdict(deque), repr=False
    )

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s <= 0:
            raise ValueError("limit must be ≥ 1 and window_s > 0")

    def on_death(self, name: str, now: float) -> Decision:
        """Record that ``name`` died at ``now`` (monotonic seconds) and decide."""
        deaths = self._deaths[name]
        deaths.append(now)
        while deaths and deaths[0] <= now - self.window_s:
            deaths.popleft()
        attempt = len(deaths)
        if attempt > self.limit:
            return GiveUp(name, attempt, self.window_s)
        return Restart(name, attempt, self.backoff_s(attempt))

    def backoff_s(self, attempt: int) -> float:
        """Delay before restart number ``attempt`` within the window."""
        if attempt <= 1:
            return 0.0
        delay: float = self.initial_backoff_s * 2.0 ** (attempt - 2)
        return min(delay, self.max_backoff_s)

    def deaths_within_window(self, name: str, now: float) -> int:
        """How many deaths of ``name`` the window still holds at ``now``."""
        return sum(1 for t in self._deaths.get(name, ()) if t > now - self.window_s)


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL`` (Popen reports a signal as ``-N``)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"
