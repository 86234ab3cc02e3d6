"""``atr program explain``: every rule a catalog applies to a service, printed with its
citation (SPEC §3.4: "each rule citing its seed section")."""

from __future__ import annotations

from typing import Any

import pytest

from programs.explain import explain
from programs.loader import load_catalog
from services.cli import main

PROGRAMS = ("missouri_atr2", "illinois_atr3", "idaho_case_management", "missouri_community_support")


def _citations(value: Any) -> list[str]:
    """Every ``source`` and ``*_source`` string in a service's data, however nested."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "source" or key.endswith("_source")) and isinstance(item, str):
                found.append(item)
            else:
                found += _citations(item)
    elif isinstance(value, list):
        for item in value:
            found += _citations(item)
    return found


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_citation_of_every_service_is_printed(program: str) -> None:
    catalog = load_catalog(program)
    for code, service in catalog.services.items():
        text = explain(catalog, code)
        cited = [line.removeprefix("    source: ") for line in text.splitlines()[2:][1::2]]
        expected = _citations(service.model_dump(mode="json"))
        expected += [rule.source for rule in catalog.equivalences_for(code)]
        # paired *_source fields are printed only with their rule set: all are, here
        assert sorted(cited) == sorted(expected), code


def test_the_command_prints_a_services_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["program", "explain", "DROP_IN_CENTER", "--program", "missouri_atr2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DROP_IN_CENTER: Drop-In Center (missouri_atr2")
    assert "conflicts: with_codes=[*], scope=overlapping\n" in out
    assert (
        '    source: seed 000 §4: "may not be billed at the same time as any other service"' in out
    )


def test_explain_prints_the_timing_of_untimed_transport(capsys: pytest.CaptureFixture[str]) -> None:
    """Seed 000 §15: "Transportation is to and from treatment or recovery support
    services": the timing rule an untimed trip is read by is printed with its quote."""
    assert main(["program", "explain", "TRANSPORT_MILEAGE", "--program", "missouri_atr2"]) == 0
    out = capsys.readouterr().out
    assert "timing: untimed=between_services\n" in out
    assert "Transportation is to and from treatment or recovery support services" in out


def test_an_unknown_service_is_named_with_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["program", "explain", "YOGA", "--program", "illinois_atr3"]) == 2
    err = capsys.readouterr().err
    assert "illinois_atr3 has no service YOGA" in err
    assert "RECOVERY_HOME" in err
