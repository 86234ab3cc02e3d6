"""Every fault scenario of ``python -m bench.faults`` at small scale: nothing lost, nothing
doubled, every consumer still running.

The scenarios share one embedded stack (:class:`bench.faults.Stack`, the platform
``make up`` runs, on a temporary data directory), each on a provider, clients and month
of its own, and each injects its own fault: SIGKILL of a claim worker, of payments, of
vouchers and of the gateway; the broker stopped for a few seconds (the launcher stops
the platform, which is started again and replays the outboxes); PostgreSQL killed and
restarted; every line posted twice and every submission and decision redelivered; a
burst of malformed messages on every consumed topic. Last, the consumer check itself
is checked: a stopped consumer must show as a lag.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from bench.faults import (
    HEADER,
    SCENARIOS,
    Stack,
    consumer_groups,
    lagging,
    main,
    run_scenario,
    send_burst,
)

CLAIMS = 24
PAUSE_S = 3.0
MESSAGES = 60
EVIDENCE = {
    "kill-claim-worker": "SIGKILL claims-2",
    "kill-payments": "SIGKILL payments",
    "kill-vouchers": "SIGKILL vouchers",
    "kill-gateway": "SIGKILL gateway",
    "broker-restart": "launcher: the embedded broker died",
    "database-restart": "SIGKILL postgres",
    "duplicate-submissions": "outbox events sent again",
    "malformed-burst": "malformed messages on 6 topics",
}
"""A note each scenario's fault leaves when it was injected."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One supervised embedded platform for the module; the environment restored after."""
    saved = dict(os.environ)
    stack = Stack(tmp_path_factory.mktemp("faults"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_the_command_lists_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(SCENARIOS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_fault_mid_load_loses_nothing_and_doubles_nothing(stack: Stack, name: str) -> None:
    if stack.platform is None:  # an earlier scenario left it stopped: its test failed
        stack.start()
    result = run_scenario(
        stack, name, claims=CLAIMS, pause_s=PAUSE_S, messages=MESSAGES, settle_s=150
    )
    print(HEADER, result.row(), *result.notes, *result.problems, sep="\n")
    assert result.problems == []
    assert any(EVIDENCE[name] in note for note in result.notes), result.notes
    assert result.submitted == CLAIMS
    # every line is approved and the fiscal years have ample allotments
    assert result.adjudicated == result.funded == result.paid == CLAIMS
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.consumers_running
    assert result.ok


def test_a_stopped_consumer_shows_as_behind(stack: Stack) -> None:
    """The scenarios' "consumers running" check sees a consumer that stopped: reporting
    paused, a message on a topic only reporting consumes leaves its group behind."""
    if stack.platform is None:
        stack.start()
    assert ("atr.payments.v1", "atr-reporting.atr.payments.v1") in consumer_groups()
    platform = stack.running
    platform.pause("reporting")
    try:
        asyncio.run(send_burst(platform.bootstrap_servers, ["atr.payments.v1"], 3))
        behind = asyncio.run(lagging(platform.bootstrap_servers))
        assert any(entry.startswith("atr-reporting.atr.payments.v1 ") for entry in behind)
    finally:
        platform.restart("reporting")
    deadline = time.monotonic() + 120
    while asyncio.run(lagging(platform.bootstrap_servers)):
        assert time.monotonic() < deadline, "reporting did not catch up after its restart"
        stack.tick()
        time.sleep(0.5)
