"""HCPCS procedure codes and the timely filing limit in every program catalog: each
service is billed under a valid HCPCS code that is cited or marked local, and each
program says how many days after the service date a line may still be filed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from programs.catalog import LOCAL_CODE, Hcpcs
from programs.loader import available_programs, load_catalog


@pytest.mark.parametrize("program", available_programs())
def test_every_service_has_a_cited_or_local_hcpcs_code(program: str) -> None:
    catalog = load_catalog(program)
    assert catalog.services
    for service in catalog.services.values():
        assert service.hcpcs is not None, service.code
        assert service.hcpcs.source == LOCAL_CODE or service.hcpcs.source.startswith("seed ")
        assert len(service.hcpcs.modifiers) <= 4


@pytest.mark.parametrize("program", available_programs())
def test_every_program_has_a_timely_filing_limit_with_its_source(program: str) -> None:
    catalog = load_catalog(program)
    assert catalog.timely_filing_days == 365
    assert catalog.timely_filing_source.startswith("default:")


def test_missouri_codes_follow_the_service_and_its_setting() -> None:
    catalog = load_catalog("missouri_atr2")
    individual = catalog.hcpcs_of("RECOVERY_MENTORING_IND")
    group = catalog.hcpcs_of("RECOVERY_MENTORING_GRP")
    assert individual is not None
    assert group is not None
    assert (individual.code, individual.modifiers) == ("H0038", [])
    assert (group.code, group.modifiers) == ("H0038", ["HQ"])
    assert catalog.hcpcs_of("NO_SUCH_SERVICE") is None


@pytest.mark.parametrize(
    ("code", "modifiers", "source"),
    [
        ("H003", [], "local"),  # four characters
        ("HH038", [], "local"),  # two letters
        ("h0038", [], "local"),  # lower case
        ("H0038", ["H"], "local"),  # one-character modifier
        ("H0038", ["HQ", "HR", "HZ", "HF", "U1"], "local"),  # five modifiers
        ("H0038", [], "made up"),  # neither a citation nor "local"
    ],
)
def test_a_malformed_hcpcs_mapping_is_refused(code: str, modifiers: list[str], source: str) -> None:
    with pytest.raises(ValidationError):
        Hcpcs(code=code, modifiers=modifiers, source=source)


def test_level_one_codes_and_cited_codes_are_accepted() -> None:
    assert Hcpcs(code="99211", source="seed 000 §1 Care Coordination").code == "99211"


def test_filed_late_counts_days_after_the_service_date() -> None:
    catalog = load_catalog("missouri_atr2")
    served = date(2026, 1, 10)
    limit = timedelta(days=catalog.timely_filing_days)
    assert not catalog.filed_late(served, served + limit)
    assert catalog.filed_late(served, served + limit + timedelta(days=1))
