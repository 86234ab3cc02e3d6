"""Fault scenarios as commands: ``python -m bench.faults <name>`` (``make faults``: all).

They measure SPEC §5 "Reliability": a process killed mid-load loses no claim and pays
none twice, a duplicate submission returns the original claim, a malformed message goes
to the dead-letter topic and never stops a consumer; and the same for the broker and the
database going away.

Each scenario runs on the embedded stack ``make up`` runs (:class:`services.launcher.Platform`:
Tansu in memory, the embedded PostgreSQL, every service with two claim workers and two
payments workers, the gateway), supervised as ``atr up`` supervises it
(:meth:`~services.launcher.Platform.supervise_once` between every step, from the thread
that started the platform). It:

1. sets up a program of its own: a provider with staff, ``ceil(N / 28)`` (at least two)
   clients with active vouchers (:func:`bench.claims.setup`) and fiscal years with
   ample allotments (:func:`bench.claims.open_fiscal_years`);
2. posts ``N`` (``--claims``) claim lines through the gateway, four in flight, each
   retried on connection errors and 5xx (:class:`bench.load.Posting`; intake is
   idempotent by ``claim_ref``). The lines are documented 30-minute mentoring sessions,
   one per client and day, all in one past month of the scenario's own;
3. injects its fault once a third of the lines is accepted, while the rest are posted;
4. waits (bounded) until every accepted claim is decided and has its funding decision,
   then makes the invoice run of the month after the lines' month (``POST
   /v1/invoice-runs``), which pays every funded line;
5. checks that the consumers still run: every process alive and ready, and every
   consumer group of the AsyncAPI document (docs/asyncapi.json) committed up to the end
   of its topic within the timeout (a stopped consumer would leave a lag);
6. prints one row: scenario, submitted, adjudicated, funded, paid, lost, duplicated,
   consumers running; and exits non-zero when lost > 0, duplicated > 0 or a consumer
   stopped.

Counts, over the scenario's claims only (its provider's):

- **submitted**: claim lines the gateway accepted (202), counted by distinct claim id;
- **adjudicated**: submitted claims with their row in the claims database in a final
  status (approved, partially approved, denied) and an ``atr.claim.adjudicated`` event
  in the claims outbox;
- **funded**: adjudicated claims with their funding decision in payments (a
  ``fundings`` row: funded, unfunded for want of allotment, or denied);
- **paid**: funded lines (``funded`` true) the scenario's invoice run took (``run_id``);
- **lost**: submitted claims missing a step they should have reached (no final decision
  or no decision event; decided but no funding decision; funded but not paid by the
  run), plus the claims' worth of units a voucher is short (used units below the units
  allowed on its claims, in 2-unit lines, rounded up);
- **duplicated**: claim refs the gateway answered with more than one claim id, claims
  with more than one claims row or more than one decision event, funded lines counted
  more than once on the provider's invoice (its ``lines`` above the lines the run
  took), plus the claims' worth of units a voucher used beyond the units allowed on its
  claims (rounded up);
- **consumers running**: yes when every process is alive and ready and every consumer
  group has no lag (step 5).

Scenarios (``python -m bench.faults list``):

- ``kill-claim-worker``, ``kill-payments``, ``kill-vouchers``, ``kill-gateway``: SIGKILL
  of that process (``claims-2``, ``payments``, ``vouchers``, ``gateway``) mid-load; the
  launcher restarts it;
- ``broker-restart``: the embedded broker is stopped (SIGTERM) mid-load. What the
  product does (services/launcher.py, :meth:`Platform._check_broker`): the launcher
  does not restart an in-memory broker under running services (their offsets would
  mean nothing); it stops every process and exits non-zero. The operator (or the
  service manager) starts the platform again, and the launcher refills the new broker
  from every service's outbox before any service starts. So the scenario keeps the
  platform down ``--pause-s`` seconds (30) from the broker's stop, starts it again on
  the same data directory, and the posting carries on at the new gateway; the claims
  the gateway could not take while it was down are retried until it is back;
- ``database-restart``: the embedded PostgreSQL is killed (SIGKILL) mid-load; the
  launcher starts it again (:meth:`Platform._restart_postgres`), PostgreSQL recovers
  from its write-ahead log;
- ``duplicate-submissions``: every line is posted twice (concurrently, four in flight),
  and after the load the gateway's and the claims service's outboxes are sent onto the
  broker again (:func:`services.kit.event_replay.replay_outbox`): every
  ``ClaimSubmitted`` and ``ClaimAdjudicated`` event of the platform is delivered twice;
- ``malformed-burst``: ``--messages`` (1,000) bad messages on every topic a service
  consumes (a third not JSON, a third JSON but not an event envelope, a third envelopes
  of a type the topic's consumers handle with schema-invalid data) mid-load. Each must
  reach the dead-letter topic (``services/kit/consumer.py`` policy: a message that is
  not a valid event is set aside, the consumer goes on): the non-JSON and non-envelope
  ones from every consumer group of their topic, the invalid envelopes from at least
  one (a consumer that does not handle the type ignores it); good claims posted after
  the burst must still be decided, funded and paid.

The platform runs with the integration tests' group timings (session 6 s, heartbeat
2 s) so a killed group member is replaced quickly, and a pending-claim sweep of 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

from bench.claims import ADMIN, SERVICE, STAFF, open_fiscal_years, setup, start_platform
from bench.load import Posting, PostingError, rows
from contracts.topics import ALL_TOPICS, DEAD_LETTER
from services.kit.event_replay import replay_outbox
from services.launcher import LaunchError, Platform, PlatformFailedError

T = TypeVar("T")

ASYNCAPI = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"
FINAL = ("approved", "partially_approved", "denied")
UNITS = 2
"""Units of every line (a 30-minute session)."""
LINES_PER_CLIENT = 28
"""One line per client and day of the scenario's month (days 1 to 28)."""
PLATFORM_ENV = {
    "ATR_CLAIM_WORKERS": "2",
    "ATR_PAYMENTS_WORKERS": "2",
    "ATR_KAFKA_SESSION_TIMEOUT_MS": "6000",
    "ATR_KAFKA_HEARTBEAT_INTERVAL_MS": "2000",
    "ATR_CLAIM_PENDING_SWEEP_S": "1",
    "ATR_BROKER_STORAGE": "outbox",
}
READY_S = 300.0
"""Bound on a (re)start of the whole platform: nine processes migrate and join their
groups at once, which takes over the launcher's 120 s on a loaded 2-core machine."""
INVALID_TYPES = {
    "atr.clients.v1": "atr.client.enrolled",
    "atr.providers.v1": "atr.provider.registered",
    "atr.vouchers.v1": "atr.voucher.activated",
    "atr.claims.submitted.v1": "atr.claim.submitted",
    "atr.claims.adjudicated.v1": "atr.claim.adjudicated",
    "atr.payments.v1": "atr.payment.line_funded",
}
"""An event type each input topic's consumers handle, for the schema-invalid envelopes."""


class FaultError(RuntimeError):
    """A scenario could not run to its end (the message says where it stopped)."""


# -- the platform under supervision -----------------------------------------------------


@dataclass
class Stack:
    """One supervised platform on a data directory; started again on the same directory
    (new ports) when a scenario stops it. Use it from one thread: children die with the
    thread that spawned them (:func:`services.kit.processes.spawn`)."""

    data_dir: Path
    platform: Platform | None = None
    said: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    """Why the launcher gave up (:class:`PlatformFailedError`), in order."""
    quiet: bool = False

    def start(self) -> None:
        """Start the platform (as ``make up`` does) and keep its console."""
        for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "ATR_DATABASE_URL_TEMPLATE"):
            os.environ.pop(name, None)
        self.platform = start_platform(
            2, str(self.data_dir), PLATFORM_ENV, console=self._say, ready_timeout_s=READY_S
        )

    def _say(self, message: str) -> None:
        self.said.append(message)
        if not self.quiet:
            print(f"[launcher] {message}", file=sys.stderr, flush=True)

    @property
    def running(self) -> Platform:
        """The platform now running."""
        if self.platform is None:
            raise FaultError("the platform is not running")
        return self.platform

    @property
    def gateway(self) -> str:
        """The gateway's base URL."""
        return self.running.url_for("gateway")

    def database(self, service: str) -> str:
        """A service's database URL."""
        return self.running.database_url_of(service)

    def tick(self) -> None:
        """One look of the launcher's supervision (``atr up`` runs it twice a second)."""
        if self.platform is None:
            return
        try:
            self.platform.supervise_once()
        except PlatformFailedError as exc:
            self.failures.append(str(exc).splitlines()[0])
            self.platform.stop()
            self.platform = None

    def stop(self) -> None:
        """Stop everything (PostgreSQL last)."""
        if self.platform is not None:
            self.platform.stop()
            self.platform = None


def wait(
    stack: Stack,
    check: Callable[[], Coroutine[Any, Any, T | None]],
    timeout_s: float,
    interval_s: float = 0.5,
) -> T | None:
    """Poll ``check`` (an async function, run on a loop of its own) under supervision
    until it returns a truthy value; None at the deadline. Raises :class:`FaultError`
    if the launcher gave up on the platform meanwhile."""
    deadline = time.monotonic() + timeout_s
    while True:
        stack.tick()
        if stack.platform is None:
            raise FaultError(f"the platform stopped: {stack.failures[-1:]}")
        value: T | None
        try:
            value = asyncio.run(check())
        except (OSError, httpx.HTTPError, DBAPIError, KafkaError) as exc:  # coming back
            value = None
            if time.monotonic() > deadline:
                raise FaultError(f"still failing at the deadline: {exc}") from exc
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval_s)


# -- the program ------------------------------------------------------------------------


@dataclass
class Program:
    """One scenario's provider, tokens, vouchers and month."""

    provider_id: str
    provider: dict[str, str]
    assessor: dict[str, str]
    vouchers: dict[str, str]
    month: date
    """First day of the month the lines fall in."""

    @property
    def period(self) -> str:
        """The invoice run that pays the lines: the month after theirs."""
        return (self.month.replace(day=28) + timedelta(days=4)).strftime("%Y-%m")

    def lines(self, tag: str, count: int) -> list[dict[str, Any]]:
        """``count`` lines over the vouchers: client k's j-th line on day j + 1 of the
        month (one session per client and day), 09:00-09:30."""
        clients = sorted(self.vouchers)
        made = []
        for n in range(count):
            client_id = clients[n % len(clients)]
            j = n // len(clients)
            made.append(
                {
                    "claim_ref": f"F-{tag}-{n}",
                    "provider_id": self.provider_id,
                    "client_id": client_id,
                    "voucher_id": self.vouchers[client_id],
                    "service_code": SERVICE,
                    "service_date": self.month.replace(day=1 + j % LINES_PER_CLIENT).isoformat(),
                    "units": UNITS,
                    "staff_id": STAFF["staff_id"],
                    "start_time": f"{9 + j // LINES_PER_CLIENT:02d}:00:00",
                    "end_time": f"{9 + j // LINES_PER_CLIENT:02d}:30:00",
                    "client_signature": True,
                    "face_to_face": True,
                }
            )
        return made


def month_back(months: int) -> date:
    """First day of the month ``months`` before this one (UTC)."""
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def set_up_program(stack: Stack, tag: str, claims: int, months_back: int) -> Program:
    """A provider of the scenario's own, its clients' vouchers, open fiscal years; waits
    until the claim workers' replica knows the provider's staff (the program office
    registers a provider before its claims come)."""
    provider_id = f"PRV-F{tag}"
    clients = max(2, math.ceil(claims / LINES_PER_CLIENT))

    async def make() -> Program:
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=60) as gateway:
            provider, vouchers = await setup(gateway, clients, provider_id, f"CL-F{tag}")
            await open_fiscal_years(gateway)
            answer = await gateway.post(
                "/v1/tokens",
                json={"role": "assessor"},
                headers={"Authorization": f"Bearer {ADMIN}"},
            )
            answer.raise_for_status()
            assessor = {"Authorization": f"Bearer {answer.json()['token']}"}
        return Program(provider_id, provider, assessor, vouchers, month_back(months_back))

    program = asyncio.run(make())

    async def known() -> bool:
        found = await rows(
            stack.database("claims"),
            "SELECT staff FROM provider_replica WHERE provider_id = :p",
            p=provider_id,
        )
        return bool(found) and any(m["staff_id"] == STAFF["staff_id"] for m in found[0][0])

    if not wait(stack, known, timeout_s=120):
        raise FaultError(f"{provider_id} never reached the claim workers' replica")
    return program


# -- faults ----------------------------------------------------------------------------


@dataclass
class Run:
    """What a fault did, for the row's notes and the scenario's own checks."""

    stack: Stack
    program: Program
    posting: Posting
    pause_s: float
    messages: int
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    burst: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    """Malformed messages sent: topic → (partition, offset, kind)."""


def kill(name: str) -> Callable[[Run], None]:
    """SIGKILL one process mid-load; the launcher must restart it and see it ready."""

    def inject(run: Run) -> None:
        stack = run.stack
        old = stack.running.processes[name]
        os.kill(old.pid, signal.SIGKILL)
        killed = time.monotonic()
        run.notes.append(f"SIGKILL {name} (pid {old.pid}) after {len(run.posting.accepted)}")

        async def back() -> bool:
            platform = stack.running
            current = platform.processes[name]
            return (
                current.pid != old.pid
                and current.poll() is None
                and name not in platform.recovering()
            )

        if not wait(stack, back, timeout_s=120, interval_s=0.2):
            raise FaultError(f"{name} was not restarted and ready within 120 s")
        run.notes.append(f"restarted and ready in {time.monotonic() - killed:.1f} s")

    return inject


def broker_restart(run: Run) -> None:
    """Stop the embedded broker; the launcher stops the platform (what it does today);
    start it again on the same data directory after ``pause_s`` (outbox replay)."""
    stack = run.stack
    broker = stack.running.broker
    if broker is None or broker.process is None:
        raise FaultError("no embedded broker to stop (KAFKA_BOOTSTRAP_SERVERS is set)")
    os.kill(broker.process.pid, signal.SIGTERM)
    stopped = time.monotonic()
    run.notes.append(f"broker stopped (SIGTERM) after {len(run.posting.accepted)}")
    deadline = stopped + 30
    while stack.platform is not None and time.monotonic() < deadline:
        stack.tick()
        time.sleep(0.2)
    if stack.platform is not None:
        raise FaultError("the launcher did not notice the broker's stop within 30 s")
    run.notes.append(f"launcher: {stack.failures[-1][:60]}…")
    time.sleep(max(0.0, run.pause_s - (time.monotonic() - stopped)))
    before = len(stack.said)
    starting = time.monotonic()
    stack.start()
    run.posting.gateway = stack.gateway
    replayed = [m for m in stack.said[before:] if m.startswith("replayed ")]
    run.notes.append(
        f"down {starting - stopped:.1f} s, then the platform started again in "
        f"{time.monotonic() - starting:.1f} s; "
        + (replayed[0].split(" (")[0] if replayed else "nothing replayed")
    )
    if not replayed:
        run.problems.append("the restarted platform replayed no outbox")


def database_restart(run: Run) -> None:
    """SIGKILL the embedded PostgreSQL mid-load; the launcher must start it again."""
    stack = run.stack
    postgres = stack.running.postgres
    if postgres is None or postgres.process is None:
        raise FaultError("no embedded PostgreSQL (ATR_DATABASE_URL_TEMPLATE is set)")
    pid = postgres.process.pid
    before = len(stack.said)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    run.notes.append(f"SIGKILL postgres (pid {pid}) after {len(run.posting.accepted)}")

    async def back() -> bool:
        platform = stack.running
        restarted = any(m.startswith("postgres restarted") for m in stack.said[before:])
        return restarted and not platform.recovering()

    if not wait(stack, back, timeout_s=180, interval_s=0.2):
        raise FaultError("PostgreSQL was not restarted within 180 s")
    back_s = time.monotonic() - killed
    run.notes.append(f"PostgreSQL back and every process ready in {back_s:.1f} s")


def duplicates(run: Run) -> None:
    """After the doubled posting: send the gateway's and the claims service's outboxes
    onto the broker again (every submission and every decision delivered twice)."""
    stack = run.stack
    wait_posted(run)

    async def again() -> list[int]:
        bootstrap = stack.running.bootstrap_servers
        sent = []
        for service in ("gateway", "claims"):
            sent.append((await replay_outbox(stack.database(service), bootstrap)).events)
        return sent

    gateway_events, claims_events = asyncio.run(again())
    run.notes.append(
        f"each line posted twice; {gateway_events} gateway and {claims_events} claims "
        "outbox events sent again"
    )


def malformed_burst(run: Run) -> None:
    """``messages`` bad messages on every topic a service consumes, mid-load."""
    stack = run.stack
    topics = sorted({topic for topic, _ in consumer_groups()})
    run.burst = asyncio.run(send_burst(stack.running.bootstrap_servers, topics, run.messages))
    total = sum(len(sent) for sent in run.burst.values())
    run.notes.append(
        f"{total} malformed messages on {len(topics)} topics after {len(run.posting.accepted)}"
    )


async def send_burst(
    bootstrap: str, topics: list[str], count: int
) -> dict[str, list[tuple[int, int, str]]]:
    """Produce ``count`` bad messages to each topic: not JSON, JSON that is not an
    envelope, envelopes with schema-invalid data (thirds); where each landed."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent: dict[str, list[tuple[int, int, str]]] = {}
        for topic in topics:
            futures = []
            for n in range(count):
                kind = ("not-json", "not-envelope", "invalid")[n % 3]
                body = bad(topic, kind, n)
                futures.append((kind, await producer.send(topic, body, key=b"F%d" % n)))
            sent[topic] = []
            for kind, future in futures:
                meta = await future
                sent[topic].append((meta.partition, meta.offset, kind))
        return sent
    finally:
        await producer.stop()


def bad(topic: str, kind: str, n: int) -> bytes:
    """One malformed message of ``kind`` for ``topic``."""
    if kind == "not-json":
        return b"\xff\xfe not json {" + str(n).encode()
    if kind == "not-envelope":
        return json.dumps({"hello": n, "data": [1, 2, 3]}).encode()
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "bench.faults",
            "type": INVALID_TYPES[topic],
            "subject": f"F{n}",
            "time": datetime.now(UTC).isoformat(),
            "data": {"claim_id": 12, "units": "many", "nonsense": True},
        }
    ).encode()


SCENARIOS: dict[str, tuple[str, Callable[[Run], None]]] = {
    "kill-claim-worker": ("SIGKILL of a claim worker (claims-2) mid-load", kill("claims-2")),
    "kill-payments": ("SIGKILL of the payments service mid-load", kill("payments")),
    "kill-vouchers": ("SIGKILL of the vouchers service mid-load", kill("vouchers")),
    "kill-gateway": ("SIGKILL of the gateway mid-load", kill("gateway")),
    "broker-restart": (
        "the embedded broker stopped mid-load, the platform started again after --pause-s",
        broker_restart,
    ),
    "database-restart": ("SIGKILL of the embedded PostgreSQL mid-load", database_restart),
    "duplicate-submissions": (
        "every line posted twice, then every submission and decision redelivered",
        duplicates,
    ),
    "malformed-burst": (
        "--messages bad messages on every consumed topic mid-load",
        malformed_burst,
    ),
}


# -- checks ----------------------------------------------------------------------------


def consumer_groups() -> list[tuple[str, str]]:
    """(topic, consumer group) of every service consumer, from the AsyncAPI document
    (``make schemas``): batched consumers name their group in the channel description,
    FastStream subscribers use ``atr-<service>.<topic>`` (services/kit/runtime.py)."""
    document = json.loads(ASYNCAPI.read_text())
    groups = []
    for key, operation in document["operations"].items():
        if operation["action"] != "receive":
            continue
        channel = document["channels"][operation["channel"]["$ref"].split("/")[-1]]
        topic = channel["address"]
        named = re.search(r"consumer group `([^`]+)`", channel.get("description", ""))
        service = key.split(":", 1)[1].split(".", 1)[0]
        groups.append((topic, named.group(1) if named else f"atr-{service}.{topic}"))
    return sorted(set(groups))


async def lagging(bootstrap: str) -> list[str]:
    """Consumer groups that have not committed up to their topic's end: ``group
    topic[partition] committed/end``; empty when every consumer has caught up."""
    partitions = {t.name: t.partitions for t in ALL_TOPICS}
    groups = consumer_groups()
    topics = sorted({topic for topic, _ in groups})
    every = [TopicPartition(topic, p) for topic in topics for p in range(partitions[topic])]
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        ends = await reader.end_offsets(every)
        behind = []
        for topic, group in groups:
            mine = [tp for tp in every if tp.topic == topic]
            # docs/embedded-broker.md: list_consumer_group_offsets needs partitions= on Tansu
            answer = await admin.list_consumer_group_offsets(group, partitions=mine)
            for tp in mine:
                committed = answer[tp].offset if tp in answer else -1
                if ends[tp] > 0 and committed < ends[tp]:
                    behind.append(f"{group} {topic}[{tp.partition}] {committed}/{ends[tp]}")
        return behind
    finally:
        await admin.close()
        await reader.stop()


def all_ready(platform: Platform) -> list[str]:
    """Processes that are dead, recovering or not answering ``/readyz`` with 200."""
    down = []
    with httpx.Client(timeout=3) as client:
        for name, process in platform.processes.items():
            if process.poll() is not None or name in platform.recovering():
                down.append(name)
                continue
            try:
                if client.get(f"{platform.url_for(name)}/readyz").status_code != 200:
                    down.append(name)
            except httpx.HTTPError:
                down.append(name)
    return down


async def dead_letters(bootstrap: str) -> dict[tuple[str, int, int], set[str]]:
    """Every dead letter so far: (original topic, partition, offset) → consumers."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        tp = TopicPartition(DEAD_LETTER.name, 0)
        reader.assign([tp])
        end = (await reader.end_offsets([tp]))[tp]
        await reader.seek_to_beginning(tp)
        found: dict[tuple[str, int, int], set[str]] = defaultdict(set)
        position = 0
        deadline = time.monotonic() + 120
        while position < end and time.monotonic() < deadline:
            for records in (await reader.getmany(tp, timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    position = record.offset + 1
                    headers = {k: v.decode() for k, v in record.headers}
                    where = (
                        headers.get("x-original-topic", ""),
                        int(headers.get("x-original-partition", "-1")),
                        int(headers.get("x-original-offset", "-1")),
                    )
                    found[where].add(headers.get("x-consumer", ""))
        return found
    finally:
        await reader.stop()


def check_burst(run: Run) -> None:
    """Every malformed message was set aside: non-JSON and non-envelope ones by every
    consumer group of their topic, schema-invalid envelopes by at least one (per
    services/kit/consumer.py; a consumer that does not handle the type ignores it)."""
    found = asyncio.run(dead_letters(run.stack.running.bootstrap_servers))
    per_topic = Counter(topic for topic, _ in consumer_groups())
    lettered = ignored = missing = letters = 0
    for topic, sent in run.burst.items():
        for partition, offset, kind in sent:
            consumers = found.get((topic, partition, offset), set())
            letters += len(consumers)
            if kind == "invalid" and not consumers:
                ignored += 1
            elif kind != "invalid" and len(consumers) < per_topic[topic]:
                missing += 1
            else:
                lettered += 1
    total = sum(len(sent) for sent in run.burst.values())
    run.notes.append(
        f"dead-lettered {lettered} of {total} ({letters} dead letters), ignored {ignored}"
    )
    if missing:
        run.problems.append(f"{missing} malformed messages not dead-lettered by every consumer")


@dataclass
class Result:
    """One scenario's row."""

    scenario: str
    submitted: int = 0
    adjudicated: int = 0
    funded: int = 0
    paid: int = 0
    lost: int = 0
    duplicated: int = 0
    consumers_running: bool = False
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, every consumer running, no other problem."""
        return (
            self.lost == 0 and self.duplicated == 0 and self.consumers_running and not self.problems
        )

    def row(self) -> str:
        """The table row."""
        return (
            f"{self.scenario:<22} {self.submitted:>9} {self.adjudicated:>11} {self.funded:>6} "
            f"{self.paid:>5} {self.lost:>5} {self.duplicated:>10}  "
            f"{'yes' if self.consumers_running else 'no':<17} {self.seconds:>5.0f}"
        )


HEADER = (
    f"{'scenario':<22} {'submitted':>9} {'adjudicated':>11} {'funded':>6} {'paid':>5} "
    f"{'lost':>5} {'duplicated':>10}  {'consumers running':<17} {'s':>5}"
)


async def tally(stack: Stack, program: Program, posting: Posting) -> dict[str, Any]:
    """What the databases hold for the scenario's claims (see the module docstring)."""
    accepted = set(posting.accepted)
    p = program.provider_id
    claims = await rows(
        stack.database("claims"),
        "SELECT claim_id, status, allowed_units, voucher_id FROM claims WHERE provider_id = :p",
        p=p,
    )
    events = await rows(
        stack.database("claims"),
        "SELECT convert_from(payload, 'UTF8')::json -> 'data' ->> 'claim_id', count(*) "
        "FROM outbox WHERE event_type = 'atr.claim.adjudicated' "
        "AND convert_from(payload, 'UTF8')::json -> 'data' ->> 'provider_id' = :p GROUP BY 1",
        p=p,
    )
    fundings = await rows(
        stack.database("payments"),
        "SELECT claim_id, funded, run_id FROM fundings WHERE provider_id = :p",
        p=p,
    )
    invoiced = await rows(
        stack.database("payments"),
        "SELECT coalesce(sum(lines), 0) FROM invoices WHERE run_id = :r AND provider_id = :p",
        r=program.period,
        p=p,
    )
    return {
        "accepted": accepted,
        "claims": claims,
        "events": dict(events),
        "fundings": fundings,
        "invoiced": int(invoiced[0][0]),
    }


def count(result: Result, program: Program, posting: Posting, t: dict[str, Any]) -> None:
    """Fill the row's counts from :func:`tally` (definitions in the module docstring)."""
    accepted: set[str] = t["accepted"]
    rows_per_claim = Counter(r[0] for r in t["claims"])
    final = {r[0] for r in t["claims"] if r[1] in FINAL}
    events: dict[str, int] = t["events"]
    decided = {c for c in accepted if c in final and events.get(c, 0) >= 1}
    funding = {r[0]: r for r in t["fundings"] if r[0] in accepted}
    funded = decided & set(funding)
    payable = {c for c in funded if funding[c][1]}
    paid = {c for c in payable if funding[c][2] == program.period}
    result.submitted = len(accepted)
    result.adjudicated = len(decided)
    result.funded = len(funded)
    result.paid = len(paid)
    lost = (accepted - decided) | (decided - funded) | (payable - paid)
    doubled = {ref for ref, ids in posting.ids_by_ref.items() if len(ids) > 1}
    doubled |= {c for c in accepted if rows_per_claim[c] > 1 or events.get(c, 0) > 1}
    result.lost = len(lost)
    taken = {c for c, r in funding.items() if r[1] and r[2] == program.period}
    result.duplicated = len(doubled) + max(0, t["invoiced"] - len(taken))


async def balances(stack: Stack, program: Program, claims: list[tuple[Any, ...]]) -> dict[str, int]:
    """Per voucher: used units minus the units allowed on its claims (0 when they
    match)."""
    allowed: dict[str, int] = defaultdict(int)
    for _, status, units, voucher_id in claims:
        if status in FINAL:
            allowed[voucher_id] += units
    gaps = {}
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as gateway:
        for voucher_id in program.vouchers.values():
            answer = await gateway.get(f"/v1/vouchers/{voucher_id}", headers=program.assessor)
            answer.raise_for_status()
            used = {b["service_code"]: b["used_units"] for b in answer.json()["balances"]}
            gaps[voucher_id] = int(used.get(SERVICE, 0)) - allowed[voucher_id]
    return gaps


# -- one scenario ----------------------------------------------------------------------


def wait_posted(run: Run) -> None:
    """Wait (under supervision) until the posting ends; :class:`FaultError` if it failed."""
    deadline = time.monotonic() + 300
    while not run.posting.done():
        run.stack.tick()
        if time.monotonic() > deadline:
            raise FaultError("the posting did not end within 300 s")
        time.sleep(0.1)
    try:
        run.posting.join(0)
    except Exception as exc:
        raise FaultError(f"posting failed: {exc}") from exc


def run_scenario(
    stack: Stack,
    name: str,
    *,
    claims: int = 200,
    pause_s: float = 30.0,
    messages: int = 1000,
    settle_s: float = 180.0,
) -> Result:
    """Run one scenario on a started stack (see the module docstring); the row."""
    started = time.monotonic()
    _, inject = SCENARIOS[name]
    result = Result(name)
    tag = uuid.uuid4().hex[:6].upper()
    program = set_up_program(stack, tag, claims, 2 + list(SCENARIOS).index(name))
    lines = program.lines(tag, claims)
    if name == "duplicate-submissions":
        lines = lines + lines[::-1]
    posting = Posting(stack.gateway, lines, program.provider)
    run = Run(stack, program, posting, pause_s, messages)
    try:
        posting.wait_for(max(1, claims // 3), tick=stack.tick)
        inject(run)
        wait_posted(run)
        accepted = set(posting.accepted)

        async def settled() -> bool:
            t = await tally(stack, program, posting)
            final = {r[0] for r in t["claims"] if r[1] in FINAL}
            funded = {r[0] for r in t["fundings"]}
            return accepted <= final and accepted <= funded and accepted <= set(t["events"])

        if not wait(stack, settled, timeout_s=settle_s):
            result.problems.append(f"not settled within {settle_s:.0f} s")
        invoice_run(stack, program)
        caught_up = wait(stack, lambda: _caught_up(stack), timeout_s=settle_s)
        down = all_ready(stack.running)
        result.consumers_running = bool(caught_up) and not down
        if not caught_up:
            lag = asyncio.run(lagging(stack.running.bootstrap_servers))
            result.problems.append(f"consumers behind: {', '.join(lag[:5])}")
        if down:
            result.problems.append(f"not running: {', '.join(down)}")
        if run.burst:
            check_burst(run)
        t = asyncio.run(tally(stack, program, posting))
        count(result, program, posting, t)
        gaps = wait(stack, lambda: _balanced(stack, program, t["claims"]), timeout_s=30)
        if gaps is None:
            gaps = asyncio.run(balances(stack, program, t["claims"]))
        result.lost += sum(math.ceil(-g / UNITS) for g in gaps.values() if g < 0)
        result.duplicated += sum(math.ceil(g / UNITS) for g in gaps.values() if g > 0)
    except (FaultError, PostingError) as exc:
        result.problems.append(str(exc))
        if stack.platform is not None:
            with contextlib.suppress(Exception):  # counts as far as they can be read
                count(result, program, posting, asyncio.run(tally(stack, program, posting)))
    result.notes += run.notes
    result.problems += run.problems
    result.seconds = time.monotonic() - started
    return result


async def _caught_up(stack: Stack) -> bool:
    return not await lagging(stack.running.bootstrap_servers)


async def _balanced(
    stack: Stack, program: Program, claims: list[tuple[Any, ...]]
) -> dict[str, int] | None:
    gaps = await balances(stack, program, claims)
    return None if any(gaps.values()) else gaps


def invoice_run(stack: Stack, program: Program) -> None:
    """The invoice run of the month after the lines' (admin), retried through a restart."""
    admin = {"Authorization": f"Bearer {ADMIN}"}

    async def made() -> bool:
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=120) as gateway:
            answer = await gateway.post(
                "/v1/invoice-runs", json={"period": program.period}, headers=admin
            )
        if answer.status_code >= 500:
            return False
        if answer.status_code not in (201, 409):
            raise FaultError(f"invoice run {program.period}: {answer.text}")
        return True

    if not wait(stack, made, timeout_s=60):
        raise FaultError(f"invoice run {program.period} failed")


# -- command ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.faults list | all | <scenario> [<scenario> …]``: run the
    scenarios on one platform of their own (a temporary data directory unless
    ``--data-dir``), print the table; exit 1 when any lost or doubled a claim or left a
    consumer stopped."""
    parser = argparse.ArgumentParser(description="ATR fault scenarios (embedded stack)")
    parser.add_argument("scenarios", nargs="+", help="'list', 'all' or scenario names")
    parser.add_argument("--claims", type=int, default=200, help="claim lines per scenario")
    parser.add_argument("--pause-s", type=float, default=30.0, help="broker down this long")
    parser.add_argument("--messages", type=int, default=1000, help="malformed per topic")
    parser.add_argument("--settle-s", type=float, default=180.0, help="bound on each wait")
    parser.add_argument("--data-dir", type=Path, default=None)
    arguments = parser.parse_args(argv)
    if arguments.scenarios == ["list"]:
        for name, (description, _) in SCENARIOS.items():
            print(f"{name:<22} {description}")
        return 0
    names = list(SCENARIOS) if arguments.scenarios == ["all"] else arguments.scenarios
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; see 'list'")
    with tempfile.TemporaryDirectory(prefix="atr-faults-") as temporary:
        stack = Stack(arguments.data_dir or Path(temporary), quiet=True)
        results = []
        try:
            stack.start()
            for name in names:
                result = run_scenario(
                    stack,
                    name,
                    claims=arguments.claims,
                    pause_s=arguments.pause_s,
                    messages=arguments.messages,
                    settle_s=arguments.settle_s,
                )
                results.append(result)
                print(result.row() if len(results) > 1 else f"{HEADER}\n{result.row()}", flush=True)
                for note in result.notes:
                    print(f"    {note}", flush=True)
                for problem in result.problems:
                    print(f"    PROBLEM: {problem}", flush=True)
                if stack.platform is None:
                    break
        except (LaunchError, FaultError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.stop()
    if len(results) > 1:
        print()
        print(HEADER)
        for result in results:
            print(result.row())
    return 0 if results and all(r.ok for r in results) and len(results) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
