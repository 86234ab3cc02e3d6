"""JSON logs carry the service and trace ids, and mask SSN-shaped values (SPEC §5)."""

from __future__ import annotations

import json
import logging

import pytest

from services.kit.logs import configure_logging


def test_log_lines_are_json_with_service_and_ssn_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("eligibility")
    logging.getLogger("probe").warning("lookup for %s failed", "123-45-6789")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["service"] == "eligibility"
    assert record["level"] == "WARNING"
    assert "123-45-6789" not in line
    assert "***-**-****" in record["message"]
    assert "trace_id" in record
