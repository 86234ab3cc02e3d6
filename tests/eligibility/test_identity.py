"""Identity matching at intake (seed 003 App. E §3; SPEC §3.1), table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from services.eligibility.domain.errors import InvalidSsnError
from services.eligibility.domain.identity import (
    Identity,
    KnownClient,
    Match,
    is_minor,
    match_identity,
    normalise_name,
    ssn_digits,
    ssn_key,
)

SECRET = "unit-test-secret"
DOB = date(1970, 1, 2)
KEY_A = ssn_key(SECRET, "512489371")
KEY_B = ssn_key(SECRET, "523714862")
KNOWN = [
    KnownClient("CL-A", "ann lee", DOB, KEY_A),
    KnownClient("CL-N", "ann lee", DOB, None),
    KnownClient("CL-X", "max roe", date(1980, 5, 5), KEY_B),
]


@pytest.mark.parametrize(
    ("given", "family", "dob", "key", "known", "expected"),
    [
        # 1. same SSN and birth date: the same person, same id for life
        ("Ann", "Lee", DOB, KEY_A, KNOWN, Match(returning="CL-A")),
        # ... even when the name was typed differently (SSN + DOB decide)
        ("Anne", "Lee-Smith", DOB, KEY_A, KNOWN, Match(returning="CL-A")),
        # 2. same SSN, other birth date: new id, review with the SSN holder
        (
            "Ann",
            "Lee",
            date(1970, 1, 3),
            KEY_A,
            KNOWN,
            Match(None, ("CL-A",), "ssn_match_dob_differs"),
        ),
        # 3. name + DOB match, other SSN: new id, review with both namesakes
        (
            "ANN",
            " lee ",
            DOB,
            ssn_key(SECRET, "534621795"),
            KNOWN,
            Match(None, ("CL-A", "CL-N"), "name_dob_match_ssn_differs"),
        ),
        # 3. name + DOB match, SSN missing at intake
        (
            "Ann",
            "Lee",
            DOB,
            None,
            KNOWN,
            Match(None, ("CL-A", "CL-N"), "name_dob_match_ssn_differs"),
        ),
        # 4. same name, other birth date: a different person
        ("Ann", "Lee", date(1971, 1, 2), None, KNOWN, Match(None)),
        # 4. nobody known
        ("Ann", "Lee", DOB, KEY_A, [], Match(None)),
    ],
)
def test_match_identity(
    given: str, family: str, dob: date, key: str | None, known: list[KnownClient], expected: Match
) -> None:
    assert match_identity(Identity(given, family, dob, key), known) == expected


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Ann", "ann"),
        ("  O'Brien-Smith ", "obriensmith"),
        ("José", "jose"),
        ("MÜLLER", "muller"),
        ("de la Cruz", "delacruz"),
    ],
)
def test_normalise_name(raw: str, normalised: str) -> None:
    assert normalise_name(raw) == normalised


@pytest.mark.parametrize(
    ("ssn", "digits"),
    [("512-48-9371", "512489371"), ("512489371", "512489371"), (" 512-48-9371 ", "512489371")],
)
def test_valid_ssn(ssn: str, digits: str) -> None:
    assert ssn_digits(ssn) == digits


@pytest.mark.parametrize(
    "ssn", ["000-12-3456", "666-12-3456", "912-12-3456", "512-00-3456", "512-48-0000", "51248937"]
)
def test_invalid_ssn_is_refused(ssn: str) -> None:
    with pytest.raises(InvalidSsnError):
        ssn_digits(ssn)


def test_ssn_key_is_keyed_and_stable() -> None:
    assert ssn_key(SECRET, "512489371") == KEY_A
    assert ssn_key("another-secret", "512489371") != KEY_A
    assert "512489371" not in KEY_A


@pytest.mark.parametrize(
    ("dob", "on", "minor"),
    [
        (date(2008, 6, 1), date(2026, 5, 31), True),
        (date(2008, 6, 1), date(2026, 6, 1), False),
        (date(1970, 1, 1), date(2026, 6, 1), False),
    ],
)
def test_is_minor(dob: date, on: date, minor: bool) -> None:
    assert is_minor(dob, on) is minor
