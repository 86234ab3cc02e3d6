"""Where the claim workers' time goes (SPEC §5 scaling; the evidence behind the
workers-only figures in ``bench/README.md``).

``python -m bench.profile_workers`` starts the embedded stack as the benchmark does (two
claim workers, PostgreSQL with ``pg_stat_statements``), sets up ``--clients`` clients,
drains one warm-up claim per client, then produces ``--claims`` claims straight onto
``atr.claims.submitted.v1`` while ``py-spy`` samples every claim worker, and prints:

- the CPU seconds of each process over the drain (as the benchmark's split);
- the claims database's statements by total execution time (``pg_stat_statements``):
  what the workers wait on in PostgreSQL;
- per claim worker, the functions with the most samples, inclusive and self (the
  Python side), from py-spy's collapsed stacks.

``py-spy`` is not a project dependency: install it as a tool (``uv tool install
py-spy``) or point ``--py-spy`` at it. A profile, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from bench import claims as bench
from services.kit import embedded_postgres
from services.launcher import Platform

STATEMENTS = """
SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
       round(mean_exec_time::numeric, 3) AS mean_ms, rows,
       regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS query
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'atr_claims')
ORDER BY total_exec_time DESC LIMIT 15
"""


def top_frames(collapsed: Path, count: int = 40) -> tuple[list[str], list[str], int]:
    """The most sampled functions of py-spy's collapsed stacks: inclusive (anywhere on
    the stack, once per sample; below the worker's loop, which every sample of the
    workers' work shares) and self (the innermost frame)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack:
            continue
        n = int(samples)
        total += n
        frames = [frame.split(" (")[0] for frame in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n

    def shown(counter: Counter[str], limit: float) -> list[str]:
        return [
            f"{n / total * 100:5.1f} %  {name}" for name, n in counter.most_common() if n <= limit
        ][:count]

    loop = inclusive.get("ClaimWorker.run", total)
    return shown(inclusive, loop), shown(own, total)[:20], total


def record(py_spy: str, pid: int, output: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` at 200 Hz into collapsed stacks until interrupted."""
    command = [py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
    return subprocess.Popen(
        [*command, "--output", str(output), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def statements(platform: Platform, reset: bool) -> list[asyncpg.Record]:
    """Reset or read the claims database's statement statistics."""
    assert platform.postgres is not None
    connection = await asyncpg.connect(
        platform.postgres.admin_dsn.rsplit("/", 1)[0] + "/atr_claims"
    )
    try:
        if reset:
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await connection.execute("SELECT pg_stat_statements_reset()")
            return []
        return list(await connection.fetch(STATEMENTS))
    finally:
        await connection.close()


async def profile(platform: Platform, clients: int, claims: int, py_spy: str, out: Path) -> None:
    """Set up, warm up, then drain ``claims`` under py-spy and pg_stat_statements."""
    async with httpx.AsyncClient(base_url=platform.url_for("gateway"), timeout=120) as gateway:
        _, vouchers = await bench.setup(gateway, clients)
    lines = bench.Lines(vouchers)
    await bench.assigned(platform, timeout_s=120)
    await bench.post_direct(platform, lines.take("W-", len(vouchers)))
    await bench.settled(platform)
    await statements(platform, reset=True)
    workers = {n: p.pid for n, p in platform.processes.items() if n.startswith("claims")}
    recorders = {name: record(py_spy, pid, out / f"{name}.txt") for name, pid in workers.items()}
    await asyncio.sleep(1.0)  # py-spy attached
    drain, _ = await bench.post_direct(platform, lines.take("P-", claims))
    for recorder in recorders.values():
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=30)
    print(f"drain: {drain.describe()} ({drain.claims} claims in {drain.seconds:.1f} s)")
    print("CPU seconds over the drain: " + ", ".join(f"{k} {v:.1f}" for k, v in drain.cpu.items()))
    print("\nclaims database, statements by total time (pg_stat_statements):")
    print(f"{'calls':>8} {'total ms':>10} {'mean ms':>8} {'rows':>8}  query")
    for row in await statements(platform, reset=False):
        figures = f"{row['calls']:>8} {row['total_ms']:>10} {row['mean_ms']:>8} {row['rows']:>8}"
        print(f"{figures}  {row['query']}")
    for name in workers:
        collapsed = out / f"{name}.txt"
        if not collapsed.exists():
            print(f"\n{name}: no py-spy output")
            continue
        inclusive, own, total = top_frames(collapsed)
        print(f"\n{name}: {total} samples; inclusive:")
        print("\n".join(inclusive))
        print(f"{name}: self:")
        print("\n".join(own))


def main() -> None:
    """Parse arguments, start the stack, profile one drain, stop."""
    parser = argparse.ArgumentParser(description="Profile the claim workers (embedded stack)")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--py-spy", default=shutil.which("py-spy") or str(Path.home() / ".local/bin/py-spy")
    )
    arguments = parser.parse_args()
    embedded_postgres.DEFAULT_OPTIONS = {
        **embedded_postgres.DEFAULT_OPTIONS,
        "shared_preload_libraries": "pg_stat_statements",
        "pg_stat_statements.track": "all",
    }
    with tempfile.TemporaryDirectory(prefix="atr-profile-") as data_dir:
        platform = bench.start_platform(arguments.workers, data_dir)
        try:
            out = Path(data_dir) / "py-spy"
            out.mkdir()
            asyncio.run(
                profile(platform, arguments.clients, arguments.claims, arguments.py_spy, out)
            )
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
