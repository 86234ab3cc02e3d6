"""Claims benchmark (SPEC §5): the gateway to adjudication, end to end.

``make bench`` (or ``.venv/bin/python -m bench.claims``) starts the embedded stack
(Tansu + embedded PostgreSQL + every service + gateway) twice — with 1 and with 2 claim
workers — and for each run:

1. sets up a provider with staff and ``--clients`` clients with active vouchers;
2. posts ``--single`` claims one per request (``POST /v1/claims``, 32 in flight) and
   ``--batched`` claims in batches of 1,000 (``POST /v1/claims/batch``, 4 in flight);
3. counts adjudication events on ``atr.claims.adjudicated.v1`` until every claim is
   decided, and reports claims/s end to end (first post → last decision), p50/p99
   acknowledgement latency (per request) and p50/p99 end-to-end latency (per claim);
4. follows the batched claims on to payment: a fiscal year with ample allotments is
   opened for every service date, each claim is funded (``LineFunded`` on
   ``atr.payments.v1``), then the month's invoice run pays the lines dated before the
   month; it reports claims/s to funded (first post → last funding), p50/p99 latency
   submit → funded, and claims/s to final payment state (first post → the invoice run
   answered, the claims that run paid);
5. measures, in the same run, the raw aiokafka pipeline on the same bytes: produce the
   batched claims' ``ClaimSubmitted`` messages (pipelined, ``acks=all``) to a scratch
   topic and consume them back; the end-to-end rate is also shown as a ratio of it;
6. measures the workers where the gateway is not the limit: once the platform is idle,
   ``--direct`` fresh ``ClaimSubmitted`` events are produced straight onto
   ``atr.claims.submitted.v1`` (whole record batches, partitioned by key as the
   gateway's relay would) and timed from the first send until the workers' group has
   committed past the last of them; ``--repeat`` times, the median reported. This is the
   figure the 1-vs-2-worker scaling is read from.

A benchmark, not a test: nothing here asserts a speed. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

from bench import results
from bench.open_loop import Offered, post_at_rate
from contracts.claims import ClaimSubmitted, ClaimSubmittedData, SubmitClaim
from contracts.ids import uuid7
from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, PAYMENTS
from services.claims.service_layer.worker import GROUP_ID as WORKERS_GROUP
from services.kit.kafka_sender import MAX_BATCH_BYTES
from services.kit.processes import free_port
from services.kit.settings import SERVICES
from services.launcher import Platform
from services.launcher_settings import LauncherSettings
from services.payments.domain.funding import fiscal_year_of

ADMIN = "bench-admin-token"
SERVICE = "RECOVERY_MENTORING_IND"
PROVIDER = "PRV-BENCH"
STAFF = {"staff_id": "STF-B1", "credentials": ["addictions_academy_graduate"]}


@dataclass
class Drain:
    """One workers-only repetition: the drain rate and where the CPU went meanwhile."""

    rate: float
    claims: int
    seconds: float
    cpu: dict[str, float]
    """CPU seconds per process (``claims`` sums the workers) over the timed window."""

    def describe(self) -> str:
        """The rate, the workers' CPU per claim and how busy the machine was."""
        if not self.cpu or not self.claims or self.seconds <= 0:
            return f"{self.rate:.0f} c/s"
        workers = self.cpu.get("claims", 0.0) / self.claims * 1e6
        busy = sum(self.cpu.values()) / self.seconds * 100
        return f"{self.rate:.0f} c/s (workers {workers:.0f} µs/claim, {busy:.0f} % busy)"


@dataclass
class Run:
    """Figures of one platform run."""

    workers: int
    single_acks: list[float] = field(default_factory=list)
    batch_acks: list[float] = field(default_factory=list)
    e2e_latency: list[float] = field(default_factory=list)
    single_rate: float = 0.0
    batched_rate: float = 0.0
    raw_rate: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    funded_rate: float = 0.0
    funded_latency: list[float] = field(default_factory=list)
    paid_rate: float = 0.0
    paid_claims: int = 0
    invoice_run_s: float = 0.0
    fixed: Offered | None = None
    """The fixed offered load phase (single posts at a share of the single-post rate)."""
    fixed_funded_latency: list[float] = field(default_factory=list)
    batch_ref_of: dict[str, str] = field(default_factory=dict)
    """Claim id → claim_ref of the batched phase's claims."""
    batched_paid: int = 0
    """Batched claims the invoice run paid (approved, funded, dated before the cutoff)."""


@dataclass
class Scaling:
    """The workers-only phase: drains with each worker count, interleaved on one platform."""

    counts: list[int]
    drains: dict[int, list[Drain]] = field(default_factory=dict)

    def rates(self, workers: int) -> list[float]:
        """The drain rate of each repetition with ``workers`` workers."""
        return [drain.rate for drain in self.drains.get(workers, [])]

    def median(self, workers: int) -> float:
        """The median drain rate with ``workers`` workers (0 when not measured)."""
        rates = self.rates(workers)
        return statistics.median(rates) if rates else 0.0

    def cpu_per_claim(self, workers: int) -> str:
        """Where the CPU went in the timed windows with ``workers`` workers: µs per claim
        by process, and how busy the machine's cores were (repetitions together)."""
        drains = self.drains.get(workers, [])
        claims = sum(drain.claims for drain in drains)
        seconds = sum(drain.seconds for drain in drains)
        used: Counter[str] = Counter()
        for drain in drains:
            used.update(drain.cpu)
        if not claims or not used or not seconds:
            return "CPU not measured"
        shares = ", ".join(
            f"{name} {used[name] / claims * 1e6:.0f}" for name, _ in used.most_common()
        )
        busy = sum(used.values()) / seconds * 100
        return f"CPU µs per claim: {shares}; {busy:.0f} % of one core in use"

    def report(self) -> str:
        """Each repetition, the medians, the CPU split and the scaling ratio."""
        lines = ["workers-only phase (gateway not the limit), worker counts interleaved:"]
        repetitions = min((len(d) for d in self.drains.values()), default=0)
        for rep in range(repetitions):
            each = ", ".join(
                f"{workers} worker(s) {self.drains[workers][rep].describe()}"
                for workers in self.counts
            )
            lines.append(f"  repetition {rep + 1}: {each}")
        for workers in self.counts:
            lines.append(
                f"  {workers} worker(s): median {self.median(workers):.0f} c/s; "
                + self.cpu_per_claim(workers)
            )
        if len(self.counts) == 2 and self.median(self.counts[0]):
            low, high = self.counts
            pairs = [
                b.rate / a.rate for a, b in zip(self.drains[low], self.drains[high], strict=False)
            ]
            lines.append(
                f"{high} workers / {low} worker (workers only, gateway not the limit): "
                f"{self.median(high) / self.median(low):.2f}x "
                f"(per repetition: {', '.join(f'{r:.2f}x' for r in pairs)})"
            )
        return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def today() -> str:
    """The services' program date (UTC)."""
    return datetime.now(UTC).date().isoformat()


def claim(ref: str, client_id: str, voucher_id: str, k: int) -> dict[str, Any]:
    """A client's ``k``-th documented 30-minute mentoring line: one line per day going
    back from yesterday over 329 days, then a second round an hour later each day, and
    so on; so a client's lines are distinct services (no duplicate denials) and each
    client's history grows as it would in a program year."""
    day = datetime.now(UTC).date() - timedelta(days=1 + k % 329)
    hour = 9 + k // 329
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": client_id,
        "voucher_id": voucher_id,
        "service_code": SERVICE,
        "service_date": day.isoformat(),
        "units": 2,
        "staff_id": STAFF["staff_id"],
        "start_time": f"{hour:02d}:00:00",
        "end_time": f"{hour:02d}:30:00",
        "client_signature": True,
        "face_to_face": True,
    }


@dataclass
class Lines:
    """Hands out claim lines: the clients in turn, each on its next service (``claim``)."""

    vouchers: dict[str, str]
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    served: Counter[str] = field(default_factory=Counter)

    def take(self, prefix: str, count: int) -> list[dict[str, Any]]:
        """``count`` new lines with refs ``{prefix}{tag}-{n}``."""
        ids = list(self.vouchers)
        lines = []
        for n in range(count):
            client_id = ids[n % len(ids)]
            k = self.served[client_id]
            self.served[client_id] += 1
            lines.append(claim(f"{prefix}{self.tag}-{n}", client_id, self.vouchers[client_id], k))
        return lines


async def setup(
    gateway: httpx.AsyncClient,
    clients: int,
    provider_id: str = PROVIDER,
    client_prefix: str = "CL-BENCH",
) -> tuple[dict[str, str], dict[str, str]]:
    """Provider, tokens, and one active voucher per client (``{client_prefix}-00000`` …),
    assessed and admitted 330 days ago."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    registered = await gateway.post(
        "/v1/providers",
        json={
            "provider_id": provider_id,
            "name": "Bench",
            "services": [SERVICE],
            "counties": ["Boone"],
        },
        headers=admin,
    )
    registered.raise_for_status()
    await gateway.post(f"/v1/providers/{provider_id}/staff", json=STAFF, headers=admin)
    tokens = {}
    for role, extra in (("assessor", {}), ("provider", {"provider_id": provider_id})):
        answer = await gateway.post("/v1/tokens", json={"role": role, **extra}, headers=admin)
        answer.raise_for_status()
        tokens[role] = {"Authorization": f"Bearer {answer.json()['token']}"}
    assessed = (datetime.now(UTC).date() - timedelta(days=330)).isoformat()
    vouchers: dict[str, str] = {}

    async def one(n: int) -> None:
        client_id = f"{client_prefix}-{n:05d}"
        created = await gateway.post(
            "/v1/vouchers",
            json={
                "client_id": client_id,
                "assessed_on": assessed,
                "authorized_services": [{"service_code": SERVICE, "units": 100_000}],
            },
            headers=tokens["assessor"],
        )
        created.raise_for_status()
        voucher_id = created.json()["voucher_id"]
        offered = await gateway.post(  # the selection must be on the list offered
            f"/v1/clients/{client_id}/choice-lists",
            json={"service_code": SERVICE},
            headers=tokens["assessor"],
        )
        offered.raise_for_status()
        for _ in range(300):
            selected = await gateway.post(
                f"/v1/vouchers/{voucher_id}/selection",
                json={"provider_id": provider_id},
                headers=tokens["assessor"],
            )
            if selected.status_code == 200:
                break
            await asyncio.sleep(0.1)
        selected.raise_for_status()
        admitted = await gateway.post(
            f"/v1/vouchers/{voucher_id}/admission",
            json={"admitted_on": assessed},
            headers=tokens["provider"],
        )
        admitted.raise_for_status()
        vouchers[client_id] = voucher_id

    for start in range(0, clients, 25):
        await asyncio.gather(*(one(n) for n in range(start, min(clients, start + 25))))
    return tokens["provider"], vouchers


CLAIM_ID = re.compile(rb'"claim_id":"([^"]+)"')
OUTCOME = re.compile(rb'"outcome":"([^"]+)"')
FUNDED = re.compile(rb'"funded":(true|false)')
LINE_FUNDED = b'"type":"atr.payment.line_funded"'


def decision_of(value: bytes) -> tuple[str, str]:
    """The claim id and outcome of an adjudication event, read without a JSON parse (the
    follower shares the machine with the services it measures, so it stays light)."""
    claim_id, outcome = CLAIM_ID.search(value), OUTCOME.search(value)
    if claim_id is None or outcome is None:
        raise ValueError(f"not an adjudication event: {value[:200]!r}")
    return claim_id.group(1).decode(), outcome.group(1).decode()


def funding_of(value: bytes) -> tuple[str, str] | None:
    """The claim id and ``funded``/``unfunded`` of a ``LineFunded`` event (None for the
    topic's other events), read without a JSON parse."""
    if LINE_FUNDED not in value:
        return None
    claim_id, funded = CLAIM_ID.search(value), FUNDED.search(value)
    if claim_id is None or funded is None:
        raise ValueError(f"not a funding event: {value[:200]!r}")
    return claim_id.group(1).decode(), "funded" if funded.group(1) == b"true" else "unfunded"


class Decisions:
    """Counts adjudication events of this run's claims as they arrive (or, on
    ``atr.payments.v1``, funding decisions)."""

    def __init__(self, bootstrap: str, topic: str = CLAIMS_ADJUDICATED.name) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.parse = decision_of if topic == CLAIMS_ADJUDICATED.name else funding_of
        self.done: dict[str, float] = {}
        self.outcome_of: dict[str, str] = {}
        self.outcomes: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Start following the adjudicated topic from the beginning."""
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=f"bench-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
        )
        await consumer.start()

        async def follow() -> None:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                now = time.perf_counter()
                for records in batches.values():
                    for record in records:
                        found = self.parse(record.value or b"")
                        if found is None:
                            continue
                        claim_id, outcome = found
                        if claim_id not in self.done:
                            self.done[claim_id] = now
                            self.outcome_of[claim_id] = outcome
                            self.outcomes[outcome] += 1

        self._consumer = consumer
        self._task = asyncio.create_task(follow())

    async def wait_for(self, claim_ids: set[str], timeout_s: float) -> float:
        """The time the last of ``claim_ids`` was decided."""
        deadline = time.perf_counter() + timeout_s
        while not claim_ids <= self.done.keys():
            if time.perf_counter() > deadline:
                missing = len(claim_ids - self.done.keys())
                raise RuntimeError(f"{missing} claims not decided within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)
        return max(self.done[c] for c in claim_ids)

    async def stop(self) -> None:
        """Stop following and close the consumer (also when the task never ran)."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer:
            await self._consumer.stop()


async def post_single(
    gateway: httpx.AsyncClient, provider: dict[str, str], lines: list[dict[str, Any]], run: Run
) -> tuple[dict[str, float], float]:
    """One claim per request, 32 in flight; returns claim id → post time, and start."""
    sent: dict[str, float] = {}
    queue = list(lines)
    started = time.perf_counter()

    async def client() -> None:
        while queue:
            body = queue.pop()
            t0 = time.perf_counter()
            answer = await gateway.post("/v1/claims", json=body, headers=provider)
            answer.raise_for_status()
            run.single_acks.append(time.perf_counter() - t0)
            sent[answer.json()["claim_id"]] = t0

    await asyncio.gather(*(client() for _ in range(32)))
    return sent, started


async def post_batched(
    gateway: httpx.AsyncClient, provider: dict[str, str], lines: list[dict[str, Any]], run: Run
) -> tuple[dict[str, float], float]:
    """Batches of 1,000, 4 in flight; returns claim id → post time, and start."""
    sent: dict[str, float] = {}
    batches = [lines[i : i + 1000] for i in range(0, len(lines), 1000)]
    started = time.perf_counter()

    async def client() -> None:
        while batches:
            batch = batches.pop(0)
            t0 = time.perf_counter()
            answer = await gateway.post(
                "/v1/claims/batch", json={"claims": batch}, headers=provider
            )
            answer.raise_for_status()
            run.batch_acks.append(time.perf_counter() - t0)
            for line in answer.json()["claims"]:
                sent[line["claim_id"]] = t0
                run.batch_ref_of[line["claim_id"]] = line["claim_ref"]

    await asyncio.gather(*(client() for _ in range(4)))
    return sent, started


def submitted(lines: list[dict[str, Any]]) -> list[tuple[str, bytes, bytes]]:
    """The ``ClaimSubmitted`` events the gateway would write for ``lines``: id, key, bytes.

    Claim ids are the gateway's (``CLM-`` and a version-7 UUID, time-ordered), so the
    workers' claim-key index grows at its end as it does in production.
    """
    now = datetime.now(UTC)
    events = []
    for line in lines:
        claim_id = f"CLM-{uuid7().hex}"
        event = ClaimSubmitted(
            subject=line["client_id"],
            time=now,
            data=ClaimSubmittedData(
                **SubmitClaim.model_validate(line).model_dump(),
                claim_id=claim_id,
                submitted_at=now,
            ),
        )
        events.append((claim_id, line["client_id"].encode(), event.to_bytes()))
    return events


async def post_direct(platform: Platform, lines: list[dict[str, Any]]) -> tuple[Drain, set[str]]:
    """Claims produced straight to the claims topic, then timed while the workers drain
    them (the workers' rate when the gateway is not the limit); and the claim ids.

    The backlog is produced first (~0.5 s for 40,000 claims). The window opens at the
    first offset commit after the last send, when the workers are mid-stream, and
    closes when the workers' group has committed past the last claim; the claims counted
    are those committed in between. The load generator takes no CPU inside it, as
    consumer throughput on a filled topic is usually measured.
    """
    bootstrap = platform.bootstrap_servers
    events = submitted(lines)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=MAX_BATCH_BYTES
    )
    await producer.start()
    try:
        ends = await produce_in_batches(producer, CLAIMS_SUBMITTED.name, events)
    finally:
        await producer.stop()
    drain = await drained(platform, WORKERS_GROUP, ends, timeout_s=300)
    return drain, {claim_id for claim_id, _, _ in events}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(platform: Platform) -> dict[str, float]:
    """CPU seconds so far of the broker, each service (claim workers summed as
    ``claims``) and this benchmark process; empty off Linux."""
    if not sys.platform.startswith("linux"):
        return {}
    used: dict[str, float] = {}
    for name, process in platform.processes.items():
        if name in platform.paused or process.poll() is not None:
            continue
        key = "claims" if name.startswith("claims") else name
        used[key] = used.get(key, 0.0) + _cpu_seconds(process.pid)
    if platform.broker is not None and platform.broker.process is not None:
        used["broker"] = _cpu_seconds(platform.broker.process.pid)
    used["bench"] = time.process_time()
    return used


async def settled(platform: Platform, idle_share: float = 0.25, timeout_s: float = 30) -> None:
    """Wait until the platform's processes use under ``idle_share`` of a core for 1 s.

    An idle platform (pollers, heartbeats, checkpoints of nine processes) uses ~10-12 %
    of a core here; catching up on a backlog takes half a core or more.

    Work left from the earlier phases (voucher balances of the batched claims, the claim
    workers' voucher replicas, outbox marks) would otherwise run during the workers-only
    phase and take CPU from two workers (which use both cores) more than from one.
    """
    if not sys.platform.startswith("linux"):
        await asyncio.sleep(5)
        return

    def platform_cpu() -> float:
        return sum(v for k, v in cpu_by_process(platform).items() if k != "bench")

    deadline = time.perf_counter() + timeout_s
    before = platform_cpu()
    while time.perf_counter() < deadline:
        await asyncio.sleep(1.0)
        now = platform_cpu()
        if now - before < idle_share:
            return
        before = now


async def produce_in_batches(
    producer: AIOKafkaProducer, topic: str, events: list[tuple[str, bytes, bytes]]
) -> dict[TopicPartition, int]:
    """Produce ``(id, key, value)`` records as whole record batches; the end offsets.

    Records go to the partition the default (murmur2) partitioner picks for their key, as
    the gateway's relay would send them, in order per partition; the batches are sent
    round-robin over the partitions so every worker gets work from the start. Building
    record batches directly costs a few µs per record where ``send`` costs ~25 µs: the
    load generator shares the two cores with the workers it measures.
    """
    partitions = sorted(await producer.partitions_for(topic))
    partitioner = DefaultPartitioner()
    queues: dict[int, list[tuple[int, Any]]] = {p: [] for p in partitions}
    batches: dict[int, Any] = {}
    for _, key, value in events:
        partition = partitioner(key, partitions, partitions)
        batch = batches.get(partition)
        if batch is None or batch.append(key=key, value=value, timestamp=None) is None:
            if batch is not None:
                queues[partition].append((batch.record_count(), batch))
            batch = batches[partition] = producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)
    for partition, batch in batches.items():
        queues[partition].append((batch.record_count(), batch))
    sent = []
    while any(queues.values()):
        for partition in partitions:
            if queues[partition]:
                count, batch = queues[partition].pop(0)
                batch.close()
                future = await producer.send_batch(batch, topic, partition=partition)
                sent.append((count, future))
    ends: dict[TopicPartition, int] = {}
    for count, future in sent:
        meta = await future  # the batch's base offset
        ends[meta.topic_partition] = max(ends.get(meta.topic_partition, 0), meta.offset + count)
    return ends


async def drained(
    platform: Platform, group: str, ends: dict[TopicPartition, int], timeout_s: float
) -> Drain:
    """Time ``group`` draining up to ``ends``: from its first offset commit seen here
    to the moment it has committed up to ``ends`` on every partition.

    The workers commit a batch's offsets only after its lines, decisions and outgoing
    events are committed to the database (worker.py step 6), so a committed offset
    marks adjudicated claims, and the window counts whole batches. One offset request
    per poll: unlike a follower reading every decision, it takes no CPU from the
    workers it measures.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.bootstrap_servers)
    await admin.start()
    try:
        deadline = time.perf_counter() + timeout_s
        opened: tuple[float, dict[TopicPartition, int], dict[str, float]] | None = None
        first: dict[TopicPartition, int] | None = None
        while True:
            # docs/embedded-broker.md: list_consumer_group_offsets needs partitions= on Tansu
            answer = await admin.list_consumer_group_offsets(group, partitions=list(ends))
            now = time.perf_counter()
            committed = {tp: answer[tp].offset if tp in answer else -1 for tp in ends}
            if first is None:
                first = committed
            elif opened is None and committed != first:
                opened = (now, committed, cpu_by_process(platform))
            if opened is not None and all(committed[tp] >= end for tp, end in ends.items()):
                started, base, cpu_before = opened
                cpu_after = cpu_by_process(platform)
                count = sum(end - max(base[tp], 0) for tp, end in ends.items())
                seconds = now - started
                return Drain(
                    rate=count / seconds if seconds > 0 else float("nan"),
                    claims=count,
                    seconds=seconds,
                    cpu={k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after},
                )
            if now > deadline:
                behind = sum(1 for tp, end in ends.items() if committed[tp] < end)
                raise RuntimeError(f"{behind} partitions not committed within {timeout_s:.0f} s")
            await asyncio.sleep(0.02)
    finally:
        await admin.close()


async def raw_pipeline(bootstrap: str, lines: list[dict[str, Any]]) -> float:
    """aiokafka produce (pipelined, acks=all) + consume of the same messages; msgs/s."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=8, replication_factor=1)])
    finally:
        await admin.close()
    payloads = [(key, value) for _, key, value in submitted(lines)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in payloads]
        await asyncio.gather(*futures)
        seen = 0
        while seen < len(payloads):
            for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                seen += len(records)
            await consumer.commit()
        return len(payloads) / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


async def measure(
    platform: Platform,
    run: Run,
    clients: int,
    single: int,
    batched: int,
    scaling: Scaling | None,
    direct: int,
    repeat: int,
    fixed_s: float = 0.0,
) -> None:
    """One run against a started platform: the gateway phases, then (when ``scaling`` is
    given) the workers-only phase."""
    async with httpx.AsyncClient(
        base_url=platform.url_for("gateway"), timeout=120, limits=httpx.Limits(max_connections=64)
    ) as gateway:
        provider, vouchers = await setup(gateway, clients)
        await open_fiscal_years(gateway)
        lines = Lines(vouchers)
        decisions = Decisions(platform.bootstrap_servers)
        fundings = Decisions(platform.bootstrap_servers, PAYMENTS.name)
        await decisions.start()
        await fundings.start()
        try:
            if single:  # --single 0 --batched 0: the workers-only phase alone
                sent, started = await post_single(gateway, provider, lines.take("S", single), run)
                finished = await decisions.wait_for(set(sent), timeout_s=300)
                run.single_rate = len(sent) / (finished - started)
                if fixed_s > 0:
                    await fixed_load(gateway, provider, lines, run, fixed_s, (decisions, fundings))
            if batched:
                batch_lines = lines.take("B", batched)
                sent, started = await post_batched(gateway, provider, batch_lines, run)
                finished = await decisions.wait_for(set(sent), timeout_s=300)
                run.batched_rate = len(sent) / (finished - started)
                run.e2e_latency = [decisions.done[c] - t for c, t in sent.items()]
                approved = {c for c in sent if decisions.outcome_of[c] != "denied"}
                funded = await fundings.wait_for(approved, timeout_s=300)
                run.funded_rate = len(approved) / (funded - started)
                run.funded_latency = [fundings.done[c] - sent[c] for c in approved]
                cutoff = datetime.now(UTC).date().replace(day=1).isoformat()
                dated = {line["claim_ref"]: line["service_date"] for line in batch_lines}
                run.batched_paid = sum(1 for c in approved if dated[run.batch_ref_of[c]] < cutoff)
                await pay(gateway, run, started)
                run.raw_rate = await raw_pipeline(platform.bootstrap_servers, batch_lines)
        finally:
            await decisions.stop()
            await fundings.stop()
            run.outcomes = decisions.outcomes + Counter(
                f"funding {kind}" for kind in fundings.outcomes.elements()
            )
    if scaling is None or not direct:
        return
    # the follower is stopped meanwhile (it would share the cores with the workers); a
    # new one then checks, untimed, that every decision was published
    direct_ids = await measure_scaling(platform, scaling, lines, direct, repeat)
    check = Decisions(platform.bootstrap_servers)
    await check.start()
    try:
        await check.wait_for(direct_ids | decisions.done.keys(), timeout_s=300)
    finally:
        await check.stop()
        run.outcomes = check.outcomes


FIXED_SHARE = 0.5
"""The fixed offered load, as a share of the single-post saturation rate (SPEC §5)."""


async def fixed_load(
    gateway: httpx.AsyncClient,
    provider: dict[str, str],
    lines: Lines,
    run: Run,
    seconds: float,
    followers: tuple[Decisions, Decisions],
) -> None:
    """Single posts offered open loop at half the rate the single-post phase reached
    (32 in flight: saturation) for ``seconds``; acknowledgement latency from each
    request's due time, and submit → funded for its approved claims."""
    decisions, fundings = followers
    rate = max(1.0, FIXED_SHARE * run.single_rate)
    run.fixed = await post_at_rate(gateway, provider, lines.take("F", int(rate * seconds)), rate)
    sent = run.fixed.sent
    await decisions.wait_for(set(sent), timeout_s=300)
    approved = {c for c in sent if decisions.outcome_of[c] != "denied"}
    await fundings.wait_for(approved, timeout_s=300)
    run.fixed_funded_latency = [fundings.done[c] - sent[c] for c in approved]


async def open_fiscal_years(gateway: httpx.AsyncClient) -> None:
    """Fiscal years for every service date the lines use (up to 330 days back), with
    allotments no run here can exhaust: every approved line is funded (SPEC §3.5)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    first = datetime.now(UTC).date() - timedelta(days=331)
    for year in range(fiscal_year_of(first), fiscal_year_of(datetime.now(UTC).date()) + 1):
        answer = await gateway.post(
            "/v1/fiscal-years", json={"fiscal_year": year, "total": "100000000.00"}, headers=admin
        )
        if answer.status_code != 409:
            answer.raise_for_status()


async def pay(gateway: httpx.AsyncClient, run: Run, started: float) -> None:
    """The month's invoice run (admin), right after the batched claims are funded: it
    pays every funded line dated before the month's first day (SPEC §3.5), the earlier
    phases' lines too. Claims/s to final payment state = the batched claims it paid
    (approved, funded, dated before the cutoff: ``run.batched_paid``) / (first batched
    post → the run answered)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    period = datetime.now(UTC).date().strftime("%Y-%m")
    began = time.perf_counter()
    answer = await gateway.post("/v1/invoice-runs", json={"period": period}, headers=admin)
    answer.raise_for_status()
    ended = time.perf_counter()
    run.invoice_run_s = ended - began
    run.paid_claims = sum(int(invoice["lines"]) for invoice in answer.json()["invoices"])
    run.paid_rate = run.batched_paid / (ended - started)


async def measure_scaling(
    platform: Platform, scaling: Scaling, lines: Lines, direct: int, repeat: int
) -> set[str]:
    """The workers-only phase on one platform: ``repeat`` drains of ``direct`` claims with
    each worker count, interleaved (1, 2, then 2, 1, then 1, 2 …) so that the machine's
    drift (a shared host) and the clients' growing histories weigh on every count alike.

    Before each drain the workers are set (extra claim workers paused or restarted), a
    warm-up of one claim per client is drained by exactly those workers (every
    partition re-assigned, every client's history cached), and the platform is left to
    settle. Returns every claim id produced.
    """
    produced: set[str] = set()
    for rep in range(repeat):
        for workers in scaling.counts if rep % 2 == 0 else scaling.counts[::-1]:
            await asyncio.to_thread(set_workers, platform, workers)
            await assigned(platform, timeout_s=120)
            _, warm = await post_direct(
                platform, lines.take(f"W{rep}w{workers}-", len(lines.vouchers))
            )
            await settled(platform)
            drain, claim_ids = await post_direct(platform, lines.take(f"D{rep}w{workers}-", direct))
            scaling.drains.setdefault(workers, []).append(drain)
            produced |= warm | claim_ids
    return produced


ASSIGNED = re.compile(
    rf'atr_partitions_assigned{{[^}}]*group="{WORKERS_GROUP}"[^}}]*}} ([0-9.]+)'.encode()
)
"""A claim worker's partitions (the exposition orders labels by name: group, service)."""


async def assigned(platform: Platform, timeout_s: float) -> None:
    """Wait until the running claim workers hold every claims partition between them,
    each at least one (their ``partitions_assigned`` gauge): a worker that has just
    started joins the group seconds after it answers ``/readyz``
    (docs/embedded-broker.md rule 5), and the rebalance must not fall inside a timed
    drain."""
    names = [n for n in platform.processes if n.startswith("claims") and n not in platform.paused]
    deadline = time.perf_counter() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            held = []
            for name in names:
                answer = await client.get(f"{platform.url_for(name)}/metrics")
                found = ASSIGNED.search(answer.content)
                held.append(int(float(found.group(1))) if found else 0)
            if min(held) > 0 and sum(held) == CLAIMS_SUBMITTED.partitions:
                return
            if time.perf_counter() > deadline:
                raise RuntimeError(f"claim workers hold {held} partitions after {timeout_s} s")
            await asyncio.sleep(0.2)


def set_workers(platform: Platform, workers: int) -> None:
    """Run exactly ``workers`` claim workers: pause the extra ones, restart paused ones."""
    for k in range(2, platform.settings.claim_workers + 1):
        name = f"claims-{k}"
        if k <= workers and name in platform.paused:
            platform.restart(name)
        elif k > workers and name not in platform.paused:
            platform.pause(name)


def start_platform(
    workers: int,
    data_dir: str,
    extra_env: dict[str, str] | None = None,
    console: Callable[[str], None] | None = None,
    ready_timeout_s: float = 120.0,
) -> Platform:
    """The embedded stack (broker and PostgreSQL, as ``make up`` runs it) on free ports
    with ``workers`` claim workers (and ``extra_env`` set in this process's environment,
    which the launcher hands to every child; ``console`` gets the launcher's messages).
    A start that fails stops what it had started."""
    os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    for name in [*SERVICES, "gateway"]:
        os.environ[f"ATR_{name.upper()}_PORT"] = str(free_port())
    os.environ.update(
        {
            "ATR_DATA_DIR": data_dir,
            "ATR_POSTGRES_PORT": str(free_port()),
            "ATR_CLAIM_WORKERS": str(workers),
            "ATR_BOOTSTRAP_ADMIN_TOKEN": ADMIN,
            "ATR_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
    )
    platform = Platform(LauncherSettings())
    if console is not None:
        platform.console = console
    try:
        platform.start(kafka_port=free_port(), ready_timeout_s=ready_timeout_s)
    except BaseException:
        platform.stop()
        raise
    return platform


def payment_report(runs: list[Run]) -> str:
    """Claims on to payment: funded and final payment state per run, the paid rate as a
    share of the same run's raw aiokafka pipeline, and the fixed offered load."""
    lines = [
        "workers  funded c/s  submit->funded p50/p99 ms  paid c/s  paid/raw  "
        "paid (batched/all)  invoice run s"
    ]
    for run in runs:
        funded = (
            f"{percentile(run.funded_latency, 0.5):.0f}/{percentile(run.funded_latency, 0.99):.0f}"
        )
        ratio = run.paid_rate / run.raw_rate if run.raw_rate else float("nan")
        paid = f"{run.batched_paid}/{run.paid_claims}"
        lines.append(
            f"{run.workers:>7}  {run.funded_rate:>10.0f}  {funded:>25}  {run.paid_rate:>8.0f}  "
            f"{ratio:>8.3f}  {paid:>18}  {run.invoice_run_s:>13.2f}"
        )
    lines.append(
        "workers  fixed load c/s offered (achieved)  ack p50/p99 ms  late  refused  "
        "submit->funded p50/p99 ms"
    )
    for run in runs:
        if run.fixed is None:
            continue
        fixed = run.fixed
        achieved = len(fixed.sent) / fixed.seconds if fixed.seconds else float("nan")
        acks = f"{percentile(fixed.acks, 0.5):.1f}/{percentile(fixed.acks, 0.99):.1f}"
        funded = (
            f"{percentile(run.fixed_funded_latency, 0.5):.0f}/"
            f"{percentile(run.fixed_funded_latency, 0.99):.0f}"
        )
        offered = f"{fixed.rate:.0f} ({achieved:.0f})"
        lines.append(
            f"{run.workers:>7}  {offered:>35}  {acks:>14}  {fixed.late:>4}  {fixed.refused:>7}  "
            f"{funded:>25}"
        )
    return "\n".join(lines)


def report(runs: list[Run]) -> str:
    """The gateway phases' figures as a table."""
    lines = [
        "workers  single c/s  batched c/s  raw c/s   ratio  ack p50/p99 single ms  "
        "ack p50/p99 batch ms  e2e p50/p99 ms",
    ]
    for run in runs:
        ratio = run.batched_rate / run.raw_rate if run.raw_rate else float("nan")
        single = f"{percentile(run.single_acks, 0.5):.1f}/{percentile(run.single_acks, 0.99):.1f}"
        batch = f"{percentile(run.batch_acks, 0.5):.1f}/{percentile(run.batch_acks, 0.99):.1f}"
        e2e = f"{percentile(run.e2e_latency, 0.5):.0f}/{percentile(run.e2e_latency, 0.99):.0f}"
        lines.append(
            f"{run.workers:>7}  {run.single_rate:>10.0f}  {run.batched_rate:>11.0f}  "
            f"{run.raw_rate:>7.0f}  {ratio:>6.3f}  {single:>22}  {batch:>20}  {e2e:>14}"
        )
    if len(runs) == 2 and runs[0].batched_rate:
        lines.append(
            f"2 workers / 1 worker (batched): {runs[1].batched_rate / runs[0].batched_rate:.2f}x"
        )
    return "\n".join(lines)


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99)}


def run_figures(run: Run) -> dict[str, Any]:
    """One run's figures for the JSON results (rates in claims/s, latencies in ms)."""
    fixed = run.fixed
    return {
        "workers": run.workers,
        "single": {"claims_per_s": run.single_rate, "ack": _ms(run.single_acks)},
        "fixed_load": None
        if fixed is None
        else {
            "offered_per_s": fixed.rate,
            "achieved_per_s": len(fixed.sent) / fixed.seconds if fixed.seconds else None,
            "claims": len(fixed.sent),
            "late": fixed.late,
            "refused": fixed.refused,
            "ack": _ms(fixed.acks),
            "submit_to_funded": _ms(run.fixed_funded_latency),
        },
        "batched": {
            "claims_per_s": run.batched_rate,
            "ack": _ms(run.batch_acks),
            "submit_to_decision": _ms(run.e2e_latency),
        },
        "raw_pipeline_per_s": run.raw_rate,
        "batched_over_raw": run.batched_rate / run.raw_rate if run.raw_rate else None,
        "funded": {"claims_per_s": run.funded_rate, "submit_to_funded": _ms(run.funded_latency)},
        "paid": {
            "claims_per_s": run.paid_rate,
            "paid_over_raw": run.paid_rate / run.raw_rate if run.raw_rate else None,
            "batched_claims_paid": run.batched_paid,
            "lines_paid_by_the_run": run.paid_claims,
            "invoice_run_s": run.invoice_run_s,
        },
        "outcomes": dict(run.outcomes),
    }


def main() -> None:
    """Parse arguments; the gateway phases with each worker count on a platform of its
    own, then the workers-only phase on the last platform (the most workers), counts
    interleaved; print the figures."""
    parser = argparse.ArgumentParser(description="ATR claims benchmark (embedded stack)")
    # 500 clients: with 200, key hashing puts 113 of them on the partitions the range
    # assignor gives one of two workers (56.5 %), which caps 2 workers at 1.77x whatever
    # the code does; with 500 the split is 51.4 / 48.6 %
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--batched", type=int, default=20_000)
    parser.add_argument("--direct", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=3, help="workers-only repetitions")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--fixed-seconds",
        type=float,
        default=20.0,
        help="seconds of single posts offered at half the single-post rate (0: none)",
    )
    arguments = parser.parse_args()
    started = {"machine": results.machine(), **results.provenance()}
    counts = sorted(set(arguments.workers))
    scaling = Scaling(counts)
    runs = []
    for workers in counts:
        with tempfile.TemporaryDirectory(prefix="atr-bench-") as data_dir:
            platform = start_platform(workers, data_dir)
            try:
                run = Run(workers)
                asyncio.run(
                    measure(
                        platform,
                        run,
                        arguments.clients,
                        arguments.single,
                        arguments.batched,
                        scaling if workers == counts[-1] else None,
                        arguments.direct,
                        arguments.repeat,
                        arguments.fixed_seconds,
                    )
                )
                runs.append(run)
                print(report([run]), flush=True)
                print(payment_report([run]), flush=True)
                print(f"outcomes: {dict(run.outcomes)}", flush=True)
            finally:
                platform.stop()
    print()
    print(report(runs))
    print(payment_report(runs))
    if scaling.drains:
        print(scaling.report())
    figures: dict[str, Any] = {"runs": [run_figures(run) for run in runs]}
    if scaling.drains:
        figures["workers_only"] = {
            str(workers): {"median_per_s": scaling.median(workers), "each": scaling.rates(workers)}
            for workers in scaling.counts
        }
    print(f"results: {results.write('claims', figures, started)}")


if __name__ == "__main__":
    main()
