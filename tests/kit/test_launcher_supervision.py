"""The launcher supervises its children: restart now, after a backoff, or give up.

The policy is pure (deaths and times in, decisions out); :meth:`Platform.supervise_once`
is driven here with stand-in processes and a hand-moved clock — nothing is started.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from services.kit.embedded_broker import EmbeddedBroker
from services.kit.embedded_postgres import EmbeddedPostgres
from services.kit.supervisor import GiveUp, Restart, RestartPolicy, describe_exit
from services.launcher import LaunchError, Platform, PlatformFailedError
from services.launcher_settings import LauncherSettings

_pids = itertools.count(1000)


def test_the_first_death_restarts_at_once_then_the_backoff_doubles() -> None:
    policy = RestartPolicy(limit=5, window_s=60)
    decisions = [policy.on_death("vouchers", now=t) for t in (0.0, 1.0, 2.0, 3.0, 4.0)]
    assert decisions == [
        Restart("vouchers", 1, 0.0),
        Restart("vouchers", 2, 0.5),
        Restart("vouchers", 3, 1.0),
        Restart("vouchers", 4, 2.0),
        Restart("vouchers", 5, 4.0),
    ]


def test_more_deaths_than_the_limit_within_the_window_give_up() -> None:
    policy = RestartPolicy(limit=3, window_s=60)
    for t in (0.0, 10.0, 20.0):
        assert isinstance(policy.on_death("claims-2", now=t), Restart)
    assert policy.on_death("claims-2", now=30.0) == GiveUp("claims-2", 4, 60)


def test_the_backoff_stops_growing_at_the_maximum() -> None:
    policy = RestartPolicy(limit=100, window_s=1000, initial_backoff_s=0.5, max_backoff_s=10)
    delays = [policy.on_death("gateway", now=float(t)).delay_s for t in range(10)]  # type: ignore[union-attr]
    assert delays == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]


def test_deaths_older_than_the_window_are_forgotten() -> None:
    policy = RestartPolicy(limit=2, window_s=60)
    assert policy.on_death("payments", now=0.0) == Restart("payments", 1, 0.0)
    assert policy.on_death("payments", now=30.0) == Restart("payments", 2, 0.5)
    # 0.0 has left the window: one death in it again, so no give-up and no backoff growth
    assert policy.on_death("payments", now=61.0) == Restart("payments", 2, 0.5)
    assert policy.on_death("payments", now=200.0) == Restart("payments", 1, 0.0)
    assert policy.deaths_within_window("payments", now=200.0) == 1


def test_each_process_has_its_own_count() -> None:
    policy = RestartPolicy(limit=1, window_s=60)
    assert policy.on_death("claims", now=0.0) == Restart("claims", 1, 0.0)
    assert policy.on_death("claims-2", now=1.0) == Restart("claims-2", 1, 0.0)
    assert isinstance(policy.on_death("claims", now=2.0), GiveUp)


def test_a_policy_needs_a_positive_limit_and_window() -> None:
    with pytest.raises(ValueError, match="limit"):
        RestartPolicy(limit=0, window_s=60)
    with pytest.raises(ValueError, match="window_s"):
        RestartPolicy(limit=1, window_s=0)


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(-99) == "killed by signal 99"


class FakeProcess:
    """What the launcher uses of a ``Popen``."""

    def __init__(self) -> None:
        self.pid = next(_pids)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def die(self, returncode: int) -> None:
        self.returncode = returncode

    def terminate(self) -> None:
        if self.returncode is None:
            self.returncode = -signal.SIGTERM

    def kill(self) -> None:
        if self.returncode is None:
            self.returncode = -signal.SIGKILL

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode


class Harness:
    """A platform whose children are :class:`FakeProcess` objects."""

    def __init__(self, tmp_path: Path, limit: int = 3, window_s: float = 60) -> None:
        settings = LauncherSettings(
            data_dir=tmp_path,
            claim_workers=2,
            child_restart_limit=limit,
            child_restart_window_s=window_s,
        )
        self.said: list[str] = []
        self.spawned: list[str] = []
        self.platform = Platform(settings, console=self.said.append)
        self.platform._spawn = self._spawn  # type: ignore[method-assign]
        self.platform._report_ready = lambda now: None  # type: ignore[method-assign]
        for name in self.platform.names:
            self.platform.processes[name] = cast(Any, FakeProcess())
        self.spawned.clear()

    def _spawn(self, name: str) -> None:
        self.spawned.append(name)
        self.platform.processes[name] = cast(subprocess.Popen[bytes], FakeProcess())

    def kill(self, name: str, returncode: int = -signal.SIGKILL) -> None:
        cast(FakeProcess, self.platform.processes[name]).die(returncode)


def test_a_killed_child_is_restarted_at_once_and_logged(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.platform.supervise_once(now=100.0)
    assert h.spawned == []
    assert h.said == []
    h.kill("vouchers")
    h.platform.supervise_once(now=101.0)
    assert h.spawned == ["vouchers"]
    assert h.platform.processes["vouchers"].poll() is None
    assert h.platform.restarts == 1
    assert "vouchers died (killed by SIGKILL); restarting now (attempt 1 of 3" in h.said[0]
    assert h.said[1].startswith("vouchers restarted (pid ")
    assert h.platform.recovering() == {"vouchers"}  # until its /readyz answers
    h.platform.supervise_once(now=102.0)
    assert h.spawned == ["vouchers"]  # the new process is alive: nothing more to do


def test_a_second_death_waits_for_its_backoff(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.kill("claims-2", 1)
    h.platform.supervise_once(now=10.0)
    h.kill("claims-2", 1)
    h.platform.supervise_once(now=11.0)
    assert h.spawned == ["claims-2"]
    assert "claims-2 died (exit code 1); restarting in 0.5 s (attempt 2 of 3" in h.said[-1]
    h.platform.supervise_once(now=11.2)
    assert h.spawned == ["claims-2"]  # not yet due; the death is not counted twice
    assert h.platform.recovering() == {"claims-2"}
    h.platform.supervise_once(now=11.5)
    assert h.spawned == ["claims-2", "claims-2"]


def test_a_paused_child_is_not_restarted(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.platform.pause("claims-2")
    h.platform.supervise_once(now=1.0)
    assert h.spawned == []
    assert h.said == []


def test_pausing_a_child_cancels_its_pending_restart(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.kill("claims-2", 1)
    h.platform.supervise_once(now=0.0)
    h.kill("claims-2", 1)
    h.platform.supervise_once(now=1.0)  # restart due at 1.5
    h.platform.pause("claims-2")
    h.platform.supervise_once(now=5.0)
    assert h.spawned == ["claims-2"]
    assert h.platform.recovering() == set()


def test_a_child_that_keeps_failing_stops_the_platform_naming_it(tmp_path: Path) -> None:
    h = Harness(tmp_path, limit=2)
    log = h.platform.log_of("payments")
    log.parent.mkdir(parents=True)
    log.write_text("starting\nTraceback: the payments database is gone\n")
    now = 0.0
    for _ in range(2):
        h.kill("payments", 3)
        h.platform.supervise_once(now=now)
        now += 20.0  # past any backoff: the restart happens on this call
        h.platform.supervise_once(now=now)
    h.kill("payments", 3)
    with pytest.raises(PlatformFailedError) as failure:
        h.platform.supervise_once(now=now)
    message = str(failure.value)
    assert "payments keeps failing: died 3 times within 60 s (last: exit code 3)" in message
    assert "the payments database is gone" in message
    assert "payments died (exit code 3); giving up" in h.said[-1]


def test_a_dead_embedded_broker_stops_the_platform_and_says_why(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    broker = EmbeddedBroker(9, tmp_path / "logs" / "broker.log")
    broker.process = cast(subprocess.Popen[bytes], FakeProcess())
    h.platform.broker = broker
    h.platform.supervise_once(now=1.0)
    cast(FakeProcess, broker.process).die(-signal.SIGKILL)
    h.kill("claims")  # its children may die with it: no restart is attempted
    with pytest.raises(PlatformFailedError) as failure:
        h.platform.supervise_once(now=2.0)
    assert "embedded broker died (killed by SIGKILL)" in str(failure.value)
    assert "in memory" in str(failure.value)
    assert h.spawned == []


class FakePostgres(EmbeddedPostgres):
    """An embedded PostgreSQL whose starts are scripted: True starts, False fails."""

    def __init__(self, tmp_path: Path, starts: list[bool]) -> None:
        super().__init__(tmp_path / "postgres", 9, tmp_path / "logs" / "postgres.log")
        self.starts = starts
        self.process = cast(subprocess.Popen[bytes], FakeProcess())

    def start(self, timeout_s: float = 30.0) -> None:
        if not self.starts.pop(0):
            self.process = None
            raise RuntimeError("embedded PostgreSQL exited with code 1 while starting")
        self.process = cast(subprocess.Popen[bytes], FakeProcess())

    def die(self) -> None:
        assert self.process is not None
        cast(FakeProcess, self.process).die(-signal.SIGKILL)


def test_a_dead_embedded_postgres_is_started_again_and_the_services_left_alone(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path)
    postgres = FakePostgres(tmp_path, starts=[True])
    h.platform.postgres = postgres
    postgres.die()
    h.platform.supervise_once(now=1.0)
    assert postgres.alive()
    assert postgres.starts == []
    assert h.spawned == []
    assert h.said[0].startswith("postgres died (killed by SIGKILL); restarting now")
    assert h.said[1].startswith("postgres restarted (pid ")
    assert h.platform.restarts == 1


def test_an_embedded_postgres_that_does_not_start_again_is_retried_then_given_up(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, limit=2)
    postgres = FakePostgres(tmp_path, starts=[False, False])
    h.platform.postgres = postgres
    postgres.die()
    h.platform.supervise_once(now=1.0)  # death 1, restart now: fails (death 2, backoff)
    assert "postgres did not start again" in h.said[1]
    assert "restarting in 0.5 s (attempt 2 of 2" in h.said[2]
    h.platform.supervise_once(now=1.2)  # not due yet
    assert postgres.starts == [False]
    with pytest.raises(PlatformFailedError) as failure:
        h.platform.supervise_once(now=1.6)  # fails again: death 3 > limit 2
    assert "postgres keeps failing: died 3 times within 60 s" in str(failure.value)
    assert str(tmp_path / "logs" / "postgres.log") in str(failure.value)


@pytest.mark.parametrize(
    ("setting", "variable"),
    [("claim_workers", "ATR_CLAIM_WORKERS"), ("payments_workers", "ATR_PAYMENTS_WORKERS")],
)
def test_several_workers_of_a_service_refuse_a_sqlite_database(
    tmp_path: Path, setting: str, variable: str
) -> None:
    sqlite = LauncherSettings(
        data_dir=tmp_path,
        claim_workers=1,
        payments_workers=1,
        database_url_template=f"sqlite+aiosqlite:///{tmp_path}/{{service}}.db",
    ).model_copy(update={setting: 2})
    with pytest.raises(LaunchError, match=f"{variable}=2 needs PostgreSQL"):
        Platform(sqlite).check_database()
    Platform(sqlite.model_copy(update={setting: 1})).check_database()
    embedded = LauncherSettings(data_dir=tmp_path, database_url_template=None)
    Platform(embedded.model_copy(update={setting: 2})).check_database()  # embedded PostgreSQL


def test_payments_workers_are_set_like_claim_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATR_PAYMENTS_WORKERS", raising=False)  # the platform tests set it
    assert LauncherSettings().payments_workers == 1
    monkeypatch.setenv("ATR_PAYMENTS_WORKERS", "3")
    assert LauncherSettings().payments_workers == 3
    monkeypatch.setenv("ATR_PAYMENTS_WORKERS", "0")
    with pytest.raises(ValueError, match="payments_workers"):
        LauncherSettings()


def test_extra_workers_run_their_service_on_its_port_plus_ten_per_worker(tmp_path: Path) -> None:
    settings = LauncherSettings(
        data_dir=tmp_path,
        claim_workers=2,
        payments_workers=3,
        claims_port=9083,
        payments_port=9084,
        database_url_template="postgresql+asyncpg://u@db.example/atr_{service}",
    )
    platform = Platform(settings)
    assert platform.names == [
        "eligibility",
        "vouchers",
        "claims",
        "payments",
        "reporting",
        "claims-2",
        "payments-2",
        "payments-3",
        "gateway",
    ]
    assert [platform.port_for(n) for n in ("payments", "payments-2", "payments-3")] == [
        9084,
        9094,
        9104,
    ]
    assert platform.port_for("claims-2") == 9093
    assert platform.url_for("payments-3") == "http://127.0.0.1:9104"
    assert platform.url_for("payments") == settings.url_of("payments")
    assert platform.module_of("payments-2") == "services.payments"
    assert platform.module_of("gateway") == "services.gateway"
    env = platform._env_for("payments-3")
    assert env["ATR_PAYMENTS_PORT"] == "9104"
    assert env["DATABASE_URL"] == "postgresql+asyncpg://u@db.example/atr_payments"
    assert platform._env_for("claims-2")["ATR_CLAIMS_PORT"] == "9093"
    assert platform._env_for("payments").get("ATR_PAYMENTS_PORT") != "9104"
    single = Platform(LauncherSettings(data_dir=tmp_path, claim_workers=1, payments_workers=1))
    assert [n for n in single.names if "-" in n] == []
