"""Background loops are supervised: a failure is logged, counted and the loop restarted
(non-negotiable 5: never a crashed consumer)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData

from services.kit.runtime import ServiceRuntime
from services.kit.settings import Settings


async def test_a_failing_background_loop_is_restarted_and_counted(tmp_path: Path) -> None:
    runtime = ServiceRuntime("kitsup", MetaData(), Settings(service="kitsup", data_dir=tmp_path))
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("boom")

    try:
        await runtime._supervised(flaky)
    finally:
        await runtime.db.dispose()
    assert runs == [0, 1, 2]
    restarts = runtime.metrics.background_restarts.labels(
        runtime.metrics.service, flaky.__qualname__
    )
    assert restarts._value.get() == 2  # type: ignore[attr-defined]
