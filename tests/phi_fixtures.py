"""Test PHI used across the suite: the PHI scan asserts none of it ever leaves eligibility.

Every SSN, name and date of birth a test sends to the platform comes from here, so
``tests/integration/test_zz_phi_scan.py`` can look for each of them on every Kafka topic
and in every log file. Dates of birth are far from any program date a test uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FictitiousPerson:
    """A fictitious person (SSNs in the never-issued-looking but valid 5xx/7xx ranges)."""

    given_name: str
    family_name: str
    date_of_birth: date
    ssn: str

    def intake(self, **extra: object) -> dict[str, object]:
        """The ``POST /v1/clients`` body for this person."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "ssn": self.ssn,
            **extra,
        }


ALICE = FictitiousPerson("Zephyrine", "Quillfeather", date(1961, 3, 17), "512-48-9371")
BOB = FictitiousPerson("Thaddeus", "Marrowbyne", date(1958, 11, 2), "523-71-4862")
CAROL = FictitiousPerson("Ottoline", "Brackenwhistle", date(1963, 6, 29), "534-62-1795")
# Carol's namesake: same name and birth date, another SSN (identity review case).
CAROL_NAMESAKE = FictitiousPerson("ottoline", "BRACKEN-WHISTLE", date(1963, 6, 29), "545-19-3684")

PEOPLE: tuple[FictitiousPerson, ...] = (ALICE, BOB, CAROL, CAROL_NAMESAKE)


def phi_strings() -> list[str]:
    """Every string that must never appear on Kafka or in logs."""
    found: set[str] = set()
    for person in PEOPLE:
        digits = person.ssn.replace("-", "")
        found |= {person.ssn, digits, person.given_name, person.family_name}
        found.add(person.date_of_birth.isoformat())
    return sorted(found)
