"""The repository speaks for itself: no comment, docstring or document refers to a
ticket by number (the tracker is not in the repository; say what the code does and
why instead)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TICKET = re.compile(r"\b(issue|task)s? ?#?\d+\b", re.IGNORECASE)
GENERATED = ("docs/schemas/", "uv.lock", "services/reporting/dashboard/vendor/")


def test_no_file_refers_to_a_ticket_number() -> None:
    git = shutil.which("git")
    assert git is not None
    files = subprocess.run(
        [git, "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in files:
        if name.startswith(GENERATED) or name.endswith((".png", ".whl")):
            continue
        path = REPO / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [
            f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if TICKET.search(line)
        ]
    assert found == []
