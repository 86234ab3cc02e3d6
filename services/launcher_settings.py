"""``atr up``'s settings: the kit's (:class:`services.kit.settings.Settings`) plus how
many workers to start, the restart rules and what the embedded broker keeps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.kit.settings import Settings


class LauncherSettings(Settings):
    """Settings of the launcher (``atr up``, ``make up``)."""

    claim_workers: int = Field(
        default=1, ge=0, description="Claim worker processes `atr up` starts (≤ partitions)."
    )
    payments_workers: int = Field(
        default=1,
        ge=1,
        description="Payments processes `atr up` starts (≤ partitions); they share one "
        "database and fund under the fiscal years' row locks.",
    )
    child_restart_limit: int = Field(
        default=5,
        ge=1,
        description="Launcher: restarts of one process within child_restart_window_s "
        "after which the platform stops and names it.",
    )
    child_restart_window_s: float = Field(default=60.0, gt=0)
    broker_storage: Literal["outbox", "memory"] = Field(
        default="outbox",
        description="Launcher only, embedded broker: what survives a stop and start. "
        "outbox (default): the broker keeps events in memory and, before the services "
        "start, the launcher sends every service's outbox onto it again, so nothing "
        "published or committed before the stop is lost (services/kit/event_replay.py); "
        "memory: topics and consumer offsets start empty (tests that need no restart).",
    )
