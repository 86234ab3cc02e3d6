"""Benchmark results as JSON: ``bench/results/<date>[-<kind>].json``.

Each file records what a reader needs to compare runs: the figures, the command that
produced them, the commit (and whether the tree had uncommitted changes) and the
machine (cores, memory, CPU model, load average at the start). A later run on the same
day and kind replaces the file; the history is git's.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def _git(*arguments: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        return subprocess.run(
            [git, *arguments],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on: cores, memory, CPU model, Python, load average."""
    return {
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "cpu_model": _cpu_model(),
        "python": sys.version.split()[0],
        "system": platform.platform(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def provenance() -> dict[str, Any]:
    """The command line, the commit and whether the working tree had local changes."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    program = ["-m", spec.name] if spec is not None else [sys.argv[0]]
    return {
        "command": " ".join([Path(sys.executable).name, *program, *sys.argv[1:]]),
        "argv": sys.argv,
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def write(kind: str, figures: dict[str, Any], started: dict[str, Any]) -> Path:
    """Write ``figures`` with the machine and provenance captured at the start
    (``started``, from :func:`machine` and :func:`provenance`); the file's path."""
    now = datetime.now(UTC)
    RESULTS_DIR.mkdir(exist_ok=True)
    name = now.date().isoformat() + ("" if kind == "claims" else f"-{kind}") + ".json"
    path = RESULTS_DIR / name
    document = {"kind": kind, "finished_at": now.isoformat(), **started, "figures": figures}
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    return path
