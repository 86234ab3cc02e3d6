"""Offered load and process figures shared by the benchmark and the soak.

:func:`post_at_rate` is an open-loop load generator: request ``i`` is sent at
``start + i / rate`` whether or not earlier ones have been answered (a closed loop of N
clients in flight measures the server's pace, not its latency at a given load: a slow
answer delays the next request and hides itself — coordinated omission). Latency is
measured from the moment a request was due, so a generator that fell behind counts the
wait against the server as a client would see it.

:func:`rss_by_process` reads each platform process's resident memory from ``/proc``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.launcher import Platform


@dataclass
class Offered:
    """What an offered-load phase sent and how it was answered."""

    rate: float
    """Requests per second offered."""
    sent: dict[str, float] = field(default_factory=dict)
    """Claim id → the time its request was due (``time.perf_counter``)."""
    acks: list[float] = field(default_factory=list)
    """Seconds from due to answered, per request."""
    refused: int = 0
    """Requests answered with anything but 202 (none are expected)."""
    late: int = 0
    """Requests sent more than 10 ms after they were due (the generator fell behind)."""
    seconds: float = 0.0


async def post_at_rate(
    gateway: httpx.AsyncClient,
    headers: dict[str, str],
    lines: Iterable[dict[str, Any]],
    rate: float,
    max_in_flight: int = 512,
    into: Offered | None = None,
) -> Offered:
    """Post each line (``POST /v1/claims``) at ``rate`` per second, open loop.

    At most ``max_in_flight`` requests are outstanding: past that the server is not
    keeping up with the offered rate and the generator waits (those requests count as
    ``late``, their latency from when they were due). ``into``: fill this
    :class:`Offered` as answers come (a sampler reads it meanwhile).
    """
    offered = into if into is not None else Offered(rate)
    slots = asyncio.Semaphore(max_in_flight)
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()

    async def one(body: dict[str, Any], due: float) -> None:
        try:
            answer = await gateway.post("/v1/claims", json=body, headers=headers)
        finally:
            slots.release()
        if answer.status_code != 202:
            offered.refused += 1
            return
        offered.acks.append(time.perf_counter() - due)
        offered.sent[answer.json()["claim_id"]] = due

    for n, body in enumerate(lines):
        due = started + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        await slots.acquire()
        if time.perf_counter() - due > 0.010:
            offered.late += 1
        tasks.append(asyncio.create_task(one(body, due)))
    await asyncio.gather(*tasks)
    offered.seconds = time.perf_counter() - started
    return offered


def _rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux ``/proc/<pid>/status`` VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _pss_of_tree(pid: int) -> int:
    """Proportional set size of a process and its children (``smaps_rollup`` Pss):
    PostgreSQL's backends share its buffers, which RSS would count once per backend."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        pending += [int(child) for child in children]
    return total


def rss_by_process(platform: Platform) -> dict[str, int]:
    """Resident bytes of the broker and every service process (each claim worker on its
    own), and ``postgres``: the embedded PostgreSQL's postmaster and backends together
    (proportional set size); empty off Linux."""
    if not sys.platform.startswith("linux"):
        return {}
    found: dict[str, int] = {}
    for name, process in platform.processes.items():
        if name in platform.paused or process.poll() is not None:
            continue
        found[name] = _rss_bytes(process.pid)
    if platform.broker is not None and platform.broker.process is not None:
        found["broker"] = _rss_bytes(platform.broker.process.pid)
    if platform.postgres is not None and platform.postgres.process is not None:
        found["postgres"] = _pss_of_tree(platform.postgres.process.pid)
    return found
