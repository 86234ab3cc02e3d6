"""Soak (SPEC §5): the embedded stack at half its saturation for minutes, watching memory.

``make soak`` (or ``.venv/bin/python -m bench.soak --minutes 10``) starts the stack as
``make up`` runs it, sets up a provider, clients with vouchers and a fiscal year with
ample allotments, measures the single-post saturation rate (``POST /v1/claims``, 32 in
flight, ``--probe`` claims) unless ``--rate`` is given, then offers single posts open
loop at half that rate for ``--minutes``. Every ``--interval`` seconds it prints:

- claims acknowledged, decided (``atr.claims.adjudicated.v1``) and funded
  (``LineFunded`` on ``atr.payments.v1``) in the interval, per second;
- the p99 acknowledgement latency of the interval;
- each process's resident memory (claim workers each, PostgreSQL as the proportional
  set size of its postmaster and backends).

At the end: RSS of every process at minute 2 (after warm-up: caches filled, pools
opened) and at the end, the change in per cent, and whether each stayed within 10 %
(the SPEC's bar); the figures also go to ``bench/results/<date>-soak.json``. Claims
still in flight are drained (decided and funded) before the figures close, and any
claim acknowledged but never decided is reported as lost.

A benchmark, not a test: nothing is asserted and it exits 0 whatever it measures.
Bounded: ``--minutes`` of load at a fixed rate, plus setup and drain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import results
from bench.claims import (
    Decisions,
    Lines,
    Run,
    open_fiscal_years,
    percentile,
    post_single,
    setup,
    start_platform,
)
from bench.open_loop import Offered, post_at_rate, rss_by_process
from contracts.topics import PAYMENTS
from services.launcher import Platform

WARM_UP_S = 120.0
"""Memory is compared from this point on: caches filled, pools and consumers settled."""


@dataclass
class Sample:
    """One interval's figures."""

    at_s: float
    acked: int
    decided: int
    funded: int
    ack_p99_ms: float
    rss: dict[str, int]


@dataclass
class Soak:
    """What the soak measured."""

    rate: float
    interval_s: float
    samples: list[Sample] = field(default_factory=list)
    lost: int = 0

    def memory_rows(self) -> list[tuple[str, int, int, float]]:
        """(process, RSS at the warm-up mark, RSS at the end, change %) per process."""
        if not self.samples:
            return []
        warm = next((s for s in self.samples if s.at_s >= WARM_UP_S), self.samples[0])
        last = self.samples[-1]
        rows = []
        for name, start in sorted(warm.rss.items()):
            end = last.rss.get(name, 0)
            rows.append((name, start, end, (end - start) / start * 100 if start else 0.0))
        return rows


async def _sample_every(
    platform: Platform,
    soak: Soak,
    offered: Offered,
    followers: tuple[Decisions, Decisions],
    started: float,
    stop: asyncio.Event,
) -> None:
    """Append a :class:`Sample` every interval until ``stop`` is set, and print it."""
    decisions, fundings = followers
    seen = (0, 0, 0, 0)
    print(
        f"{'t s':>6} {'acked/s':>8} {'decided/s':>10} {'funded/s':>9} {'ack p99 ms':>11}  RSS MiB"
    )
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=soak.interval_s)
        acks = len(offered.acks)
        now = (acks, len(offered.sent), len(decisions.done), len(fundings.done))
        window = offered.acks[seen[0] :]
        sample = Sample(
            at_s=time.perf_counter() - started,
            acked=now[1] - seen[1],
            decided=now[2] - seen[2],
            funded=now[3] - seen[3],
            ack_p99_ms=percentile(window, 0.99),
            rss=await asyncio.to_thread(rss_by_process, platform),
        )
        seen = now
        soak.samples.append(sample)
        memory = " ".join(f"{k} {v / 2**20:.0f}" for k, v in sorted(sample.rss.items()))
        per_s = 1 / soak.interval_s
        print(
            f"{sample.at_s:>6.0f} {sample.acked * per_s:>8.0f} {sample.decided * per_s:>10.0f} "
            f"{sample.funded * per_s:>9.0f} {sample.ack_p99_ms:>11.1f}  {memory}",
            flush=True,
        )


async def soak_run(
    platform: Platform,
    clients: int,
    minutes: float,
    rate: float | None,
    interval_s: float,
    probe: int,
) -> Soak:
    """Set up, find the rate (half the single-post saturation) and run the soak."""
    async with httpx.AsyncClient(
        base_url=platform.url_for("gateway"), timeout=120, limits=httpx.Limits(max_connections=600)
    ) as gateway:
        provider, vouchers = await setup(gateway, clients)
        await open_fiscal_years(gateway)
        lines = Lines(vouchers)
        decisions = Decisions(platform.bootstrap_servers)
        fundings = Decisions(platform.bootstrap_servers, PAYMENTS.name)
        await decisions.start()
        await fundings.start()
        try:
            if rate is None:
                probe_run = Run(workers=platform.settings.claim_workers)
                sent, began = await post_single(
                    gateway, provider, lines.take("P", probe), probe_run
                )
                done = await decisions.wait_for(set(sent), timeout_s=300)
                rate = 0.5 * len(sent) / (done - began)
                print(f"saturation {2 * rate:.0f} claims/s (single posts, 32 in flight)")
            print(f"soak: {rate:.0f} claims/s offered for {minutes:g} min")
            soak = Soak(rate=rate, interval_s=interval_s)
            count = int(rate * minutes * 60)
            offered = Offered(rate)
            stop = asyncio.Event()
            started = time.perf_counter()
            sampler = asyncio.create_task(
                _sample_every(platform, soak, offered, (decisions, fundings), started, stop)
            )
            load = await post_at_rate(gateway, provider, lines.take("K", count), rate, into=offered)
            stop.set()
            await sampler
            with contextlib.suppress(RuntimeError):  # what is missing is counted as lost
                await decisions.wait_for(set(load.sent), timeout_s=300)
            soak.lost = len(set(load.sent) - decisions.done.keys())
            return soak
        finally:
            await decisions.stop()
            await fundings.stop()


def summary(soak: Soak) -> str:
    """Throughput over the soak and memory at the warm-up mark and the end."""
    lines = [f"offered {soak.rate:.0f} claims/s; acknowledged but not decided: {soak.lost}"]
    lines.append(
        f"{'process':<12} {'RSS @2min MiB':>14} {'RSS end MiB':>12} {'change':>8}  within 10 %"
    )
    for name, start, end, change in soak.memory_rows():
        ok = "yes" if abs(change) <= 10 else "NO"
        lines.append(
            f"{name:<12} {start / 2**20:>14.1f} {end / 2**20:>12.1f} {change:>7.1f}%  {ok}"
        )
    return "\n".join(lines)


def figures(soak: Soak) -> dict[str, Any]:
    """The soak's figures for the JSON results."""
    return {
        "offered_per_s": soak.rate,
        "interval_s": soak.interval_s,
        "lost": soak.lost,
        "samples": [sample.__dict__ for sample in soak.samples],
        "memory": [
            {"process": n, "rss_warm_bytes": a, "rss_end_bytes": b, "change_pct": c}
            for n, a, b, c in soak.memory_rows()
        ],
    }


def main() -> None:
    """Parse arguments, run the soak on a fresh embedded stack, print and save figures."""
    parser = argparse.ArgumentParser(description="ATR soak: half of saturation for minutes")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--rate", type=float, default=None, help="claims/s (default: half of saturation)"
    )
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--probe", type=int, default=2_000, help="claims to find saturation")
    parser.add_argument("--workers", type=int, default=2, help="claim workers")
    arguments = parser.parse_args()
    started = {"machine": results.machine(), **results.provenance()}
    with tempfile.TemporaryDirectory(prefix="atr-soak-") as data_dir:
        platform = start_platform(arguments.workers, data_dir)
        try:
            soak = asyncio.run(
                soak_run(
                    platform,
                    arguments.clients,
                    arguments.minutes,
                    arguments.rate,
                    arguments.interval,
                    arguments.probe,
                )
            )
        finally:
            platform.stop()
    print(summary(soak))
    print(f"results: {results.write('soak', figures(soak), started)}")


if __name__ == "__main__":
    main()
