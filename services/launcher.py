"""``atr up``: the whole platform on one machine (README command 1).

Starts the embedded broker (unless ``KAFKA_BOOTSTRAP_SERVERS`` points at one) and the
embedded PostgreSQL (unless ``ATR_DATABASE_URL_TEMPLATE`` points every service at an
external server), creates the topics and one database per service, starts every service
and the gateway as separate processes, waits until each answers ``/readyz``, prints where
everything is, and on Ctrl-C / SIGTERM stops them all (PostgreSQL last). Children are
bound to this process (``PR_SET_PDEATHSIG``), so none outlives it.

The embedded PostgreSQL (:mod:`services.kit.embedded_postgres`) keeps its cluster in
``$ATR_DATA_DIR/postgres`` and listens on ``127.0.0.1:$ATR_POSTGRES_PORT`` (5433), so
every service's data survives a stop and start of the platform.

Supervision (:meth:`Platform.supervise_once`, which :func:`run` calls twice a second):
a service, an extra claims or payments worker or the gateway that dies unexpectedly is
restarted — at once the first time, then after a backoff of 0.5 s doubling up to 10 s
(:class:`services.kit.supervisor.RestartPolicy`) — and each death, restart and return
to ready is written to the console. Services are built to be killed at any point
(outboxes, manual offset commits, idempotent consumers), so a restarted one catches up
from its database and its group's committed offsets. When one process dies more than
``child_restart_limit`` times within ``child_restart_window_s`` the launcher stops
everything, names it, shows its last log lines and exits non-zero: a crash loop is a
defect to look at, not to hide. Processes stopped on purpose (:meth:`Platform.pause`)
are left alone.

The embedded PostgreSQL is supervised like a service: if it dies it is started again
under the same restart rules (its data is on disk and PostgreSQL recovers from its
write-ahead log, so nothing committed is lost). Until it is back the services' database
calls fail: requests answer 5xx, consumers leave their offsets uncommitted and retry,
outbox relays try again; a service that exits over it is restarted in turn.

Events survive a stop and start (``ATR_BROKER_STORAGE=outbox``, the default): the
embedded broker keeps topics and committed offsets in memory only
(docs/embedded-broker.md), so after it starts, and before any service does, the launcher
sends every service's outbox onto it again, oldest first (:mod:`services.kit.event_replay`);
the consumers, idempotent by event id, skip what they already applied. That holds for a
SIGTERM and for a SIGKILL of the whole platform alike: what a database committed is
replayed, what it did not commit was never acknowledged. ``ATR_BROKER_STORAGE=memory``
starts with empty topics instead.

The embedded broker is a child too, but it is never restarted on its own: a new one
would start empty under running services whose consumers hold offsets that no longer
mean anything, and new events could overtake the replayed ones. If it dies the launcher
stops every process, says so, and exits non-zero; start the platform again and the
replay brings every event back. An external broker (``KAFKA_BOOTSTRAP_SERVERS``) is
durable and not the launcher's to watch.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.kit.broker import ensure_topics
from services.kit.embedded_broker import EmbeddedBroker
from services.kit.embedded_postgres import EmbeddedPostgres, database_name
from services.kit.event_replay import Replayed, replay_outbox
from services.kit.processes import port_in_use, spawn, stop
from services.kit.settings import SERVICES
from services.kit.supervisor import GiveUp, RestartPolicy, describe_exit
from services.launcher_settings import LauncherSettings

READY_TIMEOUT_S = 120.0

WORKER_SETTINGS: dict[str, str] = {"claims": "claim_workers", "payments": "payments_workers"}
"""Services that may run several processes on one database → the setting that counts
them (``ATR_CLAIM_WORKERS``, ``ATR_PAYMENTS_WORKERS``). Worker k > 1 of a service is the
process ``<service>-k``, on the service's port + 10·(k-1)."""


class LaunchError(RuntimeError):
    """The platform could not start; the message says why."""


class PlatformFailedError(LaunchError):
    """The running platform cannot go on (a child keeps failing, the broker died)."""


def _to_console(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


@dataclass
class Platform:
    """The running platform: broker, services and gateway processes."""

    settings: LauncherSettings
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    postgres: EmbeddedPostgres | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    bootstrap_servers: str = ""
    paused: set[str] = field(default_factory=set)
    """Processes stopped on purpose (:meth:`pause`); :meth:`restart` starts them again."""
    console: Callable[[str], None] = _to_console
    """Where supervision reports deaths and restarts (the launcher's console)."""
    policy: RestartPolicy | None = None
    """Restart rules; from ``settings`` unless given."""
    restarts: int = 0
    """Processes the supervisor has started again so far."""
    _due: dict[str, float] = field(default_factory=dict, repr=False)
    """Dead processes waiting for their restart: name → monotonic due time."""
    _unready: dict[str, float] = field(default_factory=dict, repr=False)
    """Restarted processes not yet ready: name → monotonic restart time."""
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        if self.policy is None:
            self.policy = RestartPolicy(
                limit=self.settings.child_restart_limit,
                window_s=self.settings.child_restart_window_s,
            )

    @property
    def data_dir(self) -> Path:
        """Absolute data directory (databases, logs, traces)."""
        return self.settings.data_dir.resolve()

    @property
    def workers(self) -> dict[str, int]:
        """Processes per service that may run several on one database (the settings in
        :data:`WORKER_SETTINGS`); every other service runs one."""
        return {
            service: int(getattr(self.settings, setting))
            for service, setting in WORKER_SETTINGS.items()
        }

    @property
    def names(self) -> list[str]:
        """Process names in start order: the services, their extra workers (worker k of
        a service is ``<service>-k``: ``claims-2`` …, ``payments-2`` …), the gateway."""
        extra = [
            f"{service}-{k}" for service, count in self.workers.items() for k in range(2, count + 1)
        ]
        return [*SERVICES, *extra, "gateway"]

    @staticmethod
    def worker_of(name: str) -> tuple[str, int]:
        """The service a process runs and its worker number (1 for the service's own
        name, k for ``<service>-k``)."""
        service, _, k = name.partition("-")
        return service, int(k) if k else 1

    def port_for(self, name: str) -> int:
        """HTTP port of a process; worker k of a service listens on the service's port
        + 10·(k-1)."""
        service, k = self.worker_of(name)
        return self.settings.port_of(service) + 10 * (k - 1)

    def url_for(self, name: str) -> str:
        """Base URL of a process's HTTP API (an extra worker's is on its own port)."""
        service, k = self.worker_of(name)
        if k > 1:
            return f"http://{self.settings.host}:{self.port_for(name)}"
        return self.settings.url_of(service)

    def module_of(self, name: str) -> str:
        """The Python module a process runs (every worker of a service runs the service's)."""
        return f"services.{self.worker_of(name)[0]}"

    @property
    def embeds_postgres(self) -> bool:
        """True unless ``ATR_DATABASE_URL_TEMPLATE`` names an external server."""
        return not self.settings.database_url_template

    def check_ports(self, kafka_port: int | None) -> None:
        """Fail fast, with the port named, when anything we need is taken."""
        ports = {name: self.port_for(name) for name in self.names}
        if kafka_port is not None:
            ports["embedded broker"] = kafka_port
        if self.embeds_postgres:
            ports["embedded PostgreSQL"] = self.settings.postgres_port
        taken = [
            f"{name} ({port})"
            for name, port in ports.items()
            if port_in_use(self.settings.host, port)
        ]
        if taken:
            raise LaunchError(
                "port(s) already in use: " + ", ".join(taken) + ". Stop what uses them or set "
                "ATR_<SERVICE>_PORT / ATR_KAFKA_PORT / ATR_POSTGRES_PORT."
            )

    def check_database(self) -> None:
        """Several workers of one service (claims, payments) share its database, which
        must be PostgreSQL: SQLite has one writer at a time and no row locks, and is for
        single-process tests only."""
        template = self.settings.database_url_template or ""
        if not template.startswith("sqlite"):
            return
        for service, count in self.workers.items():
            if count > 1:
                variable = f"ATR_{WORKER_SETTINGS[service].upper()}"
                raise LaunchError(
                    f"{variable}={count} needs PostgreSQL: leave ATR_DATABASE_URL_TEMPLATE "
                    "unset (embedded PostgreSQL) or point it at a server"
                )

    def start(self, kafka_port: int = 9092, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        """Start everything and wait (up to ``ready_timeout_s``) until every service is
        ready."""
        self.check_database()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        self.check_ports(None if external else kafka_port)
        if self.embeds_postgres:
            self.start_postgres()
        if external:
            self.bootstrap_servers = external
        else:
            self.broker = EmbeddedBroker(kafka_port, self.data_dir / "logs" / "broker.log")
            self.broker.start()
            self.bootstrap_servers = self.broker.bootstrap_servers
        asyncio.run(ensure_topics(self.bootstrap_servers))
        if self.broker is not None and self.settings.broker_storage == "outbox":
            self.replay_events()
        for name in self.names:
            self._spawn(name)
        self.wait_ready(ready_timeout_s)

    def start_postgres(self) -> None:
        """Start the embedded PostgreSQL and create the services' missing databases."""
        self.postgres = EmbeddedPostgres(
            self.data_dir / "postgres",
            self.settings.postgres_port,
            self.data_dir / "logs" / "postgres.log",
        )
        try:
            self.postgres.start()
            self.postgres.create_databases(database_name(name) for name in [*SERVICES, "gateway"])
        except Exception as exc:
            self.postgres.stop()
            raise LaunchError(f"the embedded PostgreSQL did not start: {exc}") from exc

    def replay_events(self) -> dict[str, Replayed]:
        """Refill the fresh embedded broker from every service's outbox before any
        service starts (:mod:`services.kit.event_replay`), saying what each sent."""

        async def replay_all() -> dict[str, Replayed]:
            return {
                service: await replay_outbox(self.database_url_of(service), self.bootstrap_servers)
                for service in [*SERVICES, "gateway"]
            }

        try:
            replayed = asyncio.run(replay_all())
        except Exception as exc:
            raise LaunchError(f"could not replay the outboxes onto the broker: {exc}") from exc
        total = sum(item.events for item in replayed.values())
        if total:
            seconds = sum(item.seconds for item in replayed.values())
            parts = ", ".join(f"{name} {item.events}" for name, item in replayed.items())
            self.console(f"replayed {total} events from the outboxes in {seconds:.1f} s ({parts})")
        return replayed

    def database_url_of(self, service: str) -> str:
        """The database URL a service's processes are given."""
        if self.settings.database_url_template:
            return self.settings.database_url_template.format(service=service)
        assert self.postgres is not None, "the embedded PostgreSQL is not started"
        return self.postgres.url(database_name(service))

    def _spawn(self, name: str) -> None:
        self.processes[name] = spawn(
            [sys.executable, "-m", self.module_of(name)],
            env=self._env_for(name),
            log_path=self.log_of(name),
        )

    def _env_for(self, name: str) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        env["ATR_DATA_DIR"] = str(self.data_dir)
        env.pop("DATABASE_URL", None)
        service, k = self.worker_of(name)
        env["DATABASE_URL"] = self.database_url_of(service)
        if k > 1:
            env[f"ATR_{service.upper()}_PORT"] = str(self.port_for(name))
        return env

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll every ``/readyz`` until 200; fail on a dead process or the deadline."""
        deadline = time.monotonic() + timeout_s
        pending = set(self.names) - self.paused
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    process = self.processes[name]
                    if process.poll() is not None:
                        raise LaunchError(
                            f"{name} exited with code {process.returncode} while starting; "
                            f"last lines of {self.log_of(name)}:\n{self.tail(name)}"
                        )
                    try:
                        answer = client.get(f"{self.url_for(name)}/readyz")
                        if answer.status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise LaunchError(
                        f"not ready after {timeout_s:.0f} s: {', '.join(sorted(pending))}; "
                        f"logs in {self.data_dir / 'logs'}"
                    )
                time.sleep(0.2)

    def restart(self, name: str) -> None:
        """Start one process again (after a crash, a fault-injection kill or a pause)."""
        with self._lock:
            old = self.processes.get(name)
            if old is not None and old.poll() is None:
                old.kill()
                old.wait()
            self.paused.discard(name)
            self._due.pop(name, None)
            self._unready.pop(name, None)
            self._spawn(name)
        self.wait_ready()

    def pause(self, name: str) -> None:
        """Stop one process gracefully (SIGTERM: a claim worker leaves its consumer
        group, so the others take its partitions at once) until :meth:`restart`.
        The supervisor does not restart a paused process."""
        with self._lock:
            self.paused.add(name)
            self._due.pop(name, None)
            self._unready.pop(name, None)
        stop(self.processes[name])

    def supervise_once(self, now: float | None = None) -> None:
        """One look at every child: restart the dead, report the ones ready again.

        Call it from the thread that started the platform (children die with the thread
        that spawned them, see :func:`services.kit.processes.spawn`).

        Never blocks on a backoff: a death is scheduled and the restart happens on the
        first call at or after its due time. Raises :class:`PlatformFailedError` when the
        embedded broker died or a process keeps failing (see the module docstring).
        """
        with self._lock:
            now = time.monotonic() if now is None else now
            self._check_broker()
            self._check_postgres(now)
            for name, process in list(self.processes.items()):
                if name in self.paused or name in self._due:
                    continue
                if process.poll() is not None:
                    self._on_death(name, process.returncode, now)
            for name, due in sorted(self._due.items(), key=lambda item: item[1]):
                if due <= now and name == "postgres":
                    del self._due[name]
                    self._restart_postgres(now)
                elif due <= now:
                    del self._due[name]
                    self._spawn(name)
                    self.restarts += 1
                    self._unready[name] = now
                    self.console(f"{name} restarted (pid {self.processes[name].pid})")
            self._report_ready(now)

    def _check_broker(self) -> None:
        if self.broker is None or self.broker.process is None:
            return
        process = self.broker.process
        if process.poll() is None:
            return
        raise PlatformFailedError(
            f"the embedded broker died ({describe_exit(process.returncode)}). Its topics "
            "and committed offsets were in memory only and are gone, so the services "
            "cannot resume: stopping everything. Start the platform again; the "
            "databases survive and "
            + (
                "their outboxes bring every event back. "
                if self.settings.broker_storage == "outbox"
                else "events in flight were lost (ATR_BROKER_STORAGE=memory). "
            )
            + "Last lines of "
            f"{self.broker.log_path}:\n{_tail_of(self.broker.log_path)}"
        )

    def _check_postgres(self, now: float) -> None:
        postgres = self.postgres
        if postgres is None or postgres.process is None or "postgres" in self._due:
            return
        returncode = postgres.process.poll()
        if returncode is not None:
            self._on_death("postgres", returncode, now, log_path=postgres.log_path)

    def _restart_postgres(self, now: float) -> None:
        """Start the embedded PostgreSQL again. A start that fails (e.g. backends of the
        dead server still attached to its shared memory) counts as another death: it is
        retried after the policy's backoff, until the policy gives up."""
        assert self.postgres is not None
        started = time.monotonic()
        try:
            self.postgres.start()
        except RuntimeError as exc:
            self.console(f"postgres did not start again: {str(exc).splitlines()[0]}")
            self._on_death("postgres", 1, now, log_path=self.postgres.log_path)
            return
        self.restarts += 1
        assert self.postgres.process is not None
        self.console(
            f"postgres restarted (pid {self.postgres.process.pid}), accepting connections "
            f"again after {time.monotonic() - started:.1f} s"
        )

    def _on_death(
        self, name: str, returncode: int, now: float, log_path: Path | None = None
    ) -> None:
        assert self.policy is not None
        how = describe_exit(returncode)
        decision = self.policy.on_death(name, now)
        if isinstance(decision, GiveUp):
            self.console(f"{name} died ({how}); giving up")
            raise PlatformFailedError(
                f"{name} keeps failing: died {decision.deaths} times within "
                f"{decision.window_s:g} s (last: {how}); stopping the platform. "
                f"Last lines of {log_path or self.log_of(name)}:\n"
                f"{_tail_of(log_path or self.log_of(name))}"
            )
        when = "now" if decision.delay_s == 0 else f"in {decision.delay_s:g} s"
        self.console(
            f"{name} died ({how}); restarting {when} "
            f"(attempt {decision.attempt} of {self.policy.limit} "
            f"within {self.policy.window_s:g} s)"
        )
        self._due[name] = now + decision.delay_s
        self._unready.pop(name, None)

    def _report_ready(self, now: float) -> None:
        if not self._unready:
            return
        with httpx.Client(timeout=0.5) as client:
            for name, since in list(self._unready.items()):
                try:
                    ready = client.get(f"{self.url_for(name)}/readyz").status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready:
                    del self._unready[name]
                    self.console(f"{name} is ready again ({now - since:.1f} s after restart)")

    def recovering(self) -> set[str]:
        """Processes dead and waiting for a restart, or restarted and not ready yet."""
        with self._lock:
            return set(self._due) | set(self._unready)

    def log_of(self, name: str) -> Path:
        """Where a process writes its output."""
        return self.data_dir / "logs" / f"{name}.log"

    def tail(self, name: str, lines: int = 30) -> str:
        """Last lines of a process's log (for error messages)."""
        return _tail_of(self.log_of(name), lines)

    def stop(self) -> None:
        """Stop the gateway, then the services, then the broker and PostgreSQL."""
        with self._lock:
            self._due.clear()
            self._unready.clear()
            for name in reversed(list(self.processes)):
                process = self.processes[name]
                if process.poll() is None:
                    process.terminate()
            for process in self.processes.values():
                stop(process)
            self.processes.clear()
            if self.broker is not None:
                self.broker.stop()
                self.broker = None
            if self.postgres is not None:
                self.postgres.stop()
                self.postgres = None

    def summary(self) -> str:
        """What runs where, for the console."""
        gateway = self.settings.url_of("gateway")
        lines = [
            "ATR platform is up.",
            f"  gateway      {gateway}",
            f"  API docs     {gateway}/docs   (spec {gateway}/openapi.json)",
            f"  dashboard    {gateway}/dashboard   (reports; an admin or state_system token)",
            f"  metrics      {gateway}/metrics and /metrics on every service",
        ]
        lines += [f"  {name:<12} {self.url_for(name)}" for name in self.names if name != "gateway"]
        lines += [
            f"  kafka        {self.bootstrap_servers}"
            + ("   (embedded Tansu, in memory)" if self.broker else ""),
            self._database_line(),
            f"  data dir     {self.data_dir}   (postgres/, logs/, traces/)",
            "Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)

    def _database_line(self) -> str:
        if self.postgres is None:
            template = self.settings.database_url_template or ""
            external = template.split("@")[-1].split("/")[0] or template
            return f"  postgresql   {external}   (external: ATR_DATABASE_URL_TEMPLATE)"
        return (
            f"  postgresql   127.0.0.1:{self.postgres.port}   (embedded, one database per "
            f"service, atr_<service>; data in {self.postgres.pgdata})"
        )


def _tail_of(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run() -> int:
    """Start the platform and block until Ctrl-C / SIGTERM; return the exit code."""
    settings = LauncherSettings()
    platform = Platform(settings)
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    started = time.monotonic()
    try:
        platform.start(kafka_port=int(os.environ.get("ATR_KAFKA_PORT", "9092")))
        print(platform.summary(), flush=True)
        print(f"(ready in {time.monotonic() - started:.1f} s)", flush=True)
        while not stopping:
            platform.supervise_once()
            time.sleep(0.5)
        return 0
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping…", flush=True)
        platform.stop()
        print("stopped.", flush=True)
