"""Load through the gateway that survives faults, and plain SQL reads of a service database.

Shared by the fault scenarios (:mod:`bench.faults`) and the integration tests that stop
or kill parts of the platform mid-load (tests/integration/test_durable_restart.py,
tests/integration/test_crash_recovery.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


class PostingError(RuntimeError):
    """A claim line was refused for good (not a 5xx) or never accepted in time."""


class Posting:
    """Posts claim lines, four in flight, from a thread of its own so the platform can be
    stopped and started (or processes killed) meanwhile.

    Each line is retried on connection errors and 5xx, at whatever gateway
    :attr:`gateway` names now (a restarted platform has new ports): intake is idempotent
    by ``claim_ref`` (SPEC §3.4), so a retry after a lost answer is safe. Any other
    answer than 202 is a refusal and fails the posting.
    """

    def __init__(
        self,
        gateway: str,
        lines: list[dict[str, Any]],
        provider: dict[str, str],
        *,
        in_flight: int = 4,
        timeout_s: float = 180.0,
    ):
        self.gateway = gateway
        self.accepted: dict[str, str] = {}
        """claim id → voucher id of every accepted line."""
        self.ids_by_ref: dict[str, set[str]] = {}
        """claim_ref → every claim id the gateway answered for it (one, when intake is
        idempotent)."""
        self.errors: list[BaseException] = []
        self.timeout_s = timeout_s
        self.in_flight = in_flight
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(lines, provider), daemon=True)
        self._thread.start()

    def _run(self, lines: list[dict[str, Any]], provider: dict[str, str]) -> None:
        async def post(client: httpx.AsyncClient, line: dict[str, Any]) -> str:
            deadline = time.monotonic() + self.timeout_s
            while True:
                try:
                    answer = await client.post(
                        f"{self.gateway}/v1/claims", json=line, headers=provider
                    )
                    if answer.status_code == 202:
                        claim_id: str = answer.json()["claim_id"]
                        return claim_id
                    if answer.status_code < 500:  # a real refusal
                        raise PostingError(f"{line['claim_ref']}: {answer.text}")
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise PostingError(f"{line['claim_ref']} never accepted")
                await asyncio.sleep(0.2)

        async def post_all() -> None:
            queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            for line in lines:
                queue.put_nowait(line)
            async with httpx.AsyncClient(timeout=30) as client:

                async def poster() -> None:
                    while not queue.empty():
                        line = queue.get_nowait()
                        claim_id = await post(client, line)
                        with self._lock:
                            self.accepted[claim_id] = line["voucher_id"]
                            self.ids_by_ref.setdefault(line["claim_ref"], set()).add(claim_id)

                await asyncio.gather(*(poster() for _ in range(self.in_flight)))

        try:
            asyncio.run(post_all())
        except BaseException as exc:  # reported by join()
            self.errors.append(exc)

    def wait_for(self, count: int, timeout_s: float = 120, tick: Any = None) -> None:
        """Block until ``count`` lines are accepted (calling ``tick()`` meanwhile, e.g.
        the launcher's supervision); :class:`PostingError` on failure or timeout."""
        deadline = time.monotonic() + timeout_s
        while len(self.accepted) < count and not self.errors:
            if not self._thread.is_alive():
                break
            if time.monotonic() > deadline:
                raise PostingError(f"only {len(self.accepted)} claims accepted")
            if tick is not None:
                tick()
            time.sleep(0.05)
        if self.errors:
            raise PostingError(str(self.errors[0])) from self.errors[0]

    def done(self) -> bool:
        """True once every line was posted (or the posting failed)."""
        return not self._thread.is_alive()

    def join(self, timeout_s: float = 300) -> dict[str, str]:
        """Wait for the last line; claim id → voucher id of every accepted line."""
        self._thread.join(timeout=timeout_s)
        if self._thread.is_alive():
            raise PostingError(f"posting still running after {timeout_s:.0f} s")
        if self.errors:
            raise PostingError(str(self.errors[0])) from self.errors[0]
        return self.accepted


async def rows(url: str, sql: str, **params: object) -> list[tuple[Any, ...]]:
    """Every row of one SQL query on a service database (a fresh engine, disposed)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(r) for r in (await connection.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()
