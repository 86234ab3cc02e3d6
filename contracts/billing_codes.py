"""Field types of the real-claim identifiers a claim line may carry (checked at the edge).

The provider's NPIs, the HCPCS procedure code and modifiers, ICD-10-CM diagnosis codes
and the CMS place-of-service code: the fields a payer's claim (CMS-1500 / X12 837P)
carries, optional on a line so existing EHR integrations keep working, strict when
given (a 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

NPI_PREFIX = "80840"
"""The card-issuer prefix CMS puts before an NPI's first nine digits to compute its
check digit (ISO 7812: 80 health, 840 United States)."""


def npi_check_digit(first_nine: str) -> int:
    """The check digit of an NPI whose first nine digits are ``first_nine``.

    CMS NPI check-digit rule ("Requirements for National Provider Identifier (NPI) and NPI
    Enumerator", check digit calculation): the Luhn formula (ISO/IEC 7812-1, modulus 10
    "double-add-double") over the nine digits prefixed with ``80840``. From the rightmost
    digit of that payload, every second digit (starting with the rightmost) is doubled
    and a two-digit product counts as the sum of its digits; the check digit is what
    brings the total to the next multiple of ten.
    """
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("an NPI's check digit is computed over nine digits")
    total = 0
    for position, char in enumerate(reversed(NPI_PREFIX + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_npi(value: str) -> bool:
    """Ten digits whose last is the CMS check digit of the first nine
    (:func:`npi_check_digit`)."""
    return (
        len(value) == 10
        and value.isascii()
        and value.isdigit()
        and int(value[9]) == npi_check_digit(value[:9])
    )


def _npi(value: str) -> str:
    if not is_valid_npi(value):
        raise ValueError(
            "must be a 10-digit NPI whose last digit is its check digit (Luhn over 80840 "
            "and the first nine digits)"
        )
    return value


Npi = Annotated[
    str,
    Field(min_length=10, max_length=10, pattern=r"^[0-9]{10}$", examples=["1234567893"]),
    AfterValidator(_npi),
]
"""A National Provider Identifier: ten digits with a valid CMS check digit."""

HCPCS_PATTERN = r"^(?:[A-Z][0-9]{4}|[0-9]{5})$"
"""A HCPCS procedure code: Level II (one letter and four digits, e.g. ``H0038``) or
Level I / CPT (five digits)."""

MODIFIER_PATTERN = r"^[A-Z0-9]{2}$"
"""A HCPCS modifier: two letters or digits (e.g. ``HQ`` group setting)."""

MAX_MODIFIERS = 4
"""Procedure modifiers a claim line carries at most (CMS-1500 item 24D: four)."""

ProcedureCode = Annotated[str, Field(pattern=HCPCS_PATTERN, examples=["H0038"])]
"""A HCPCS procedure code (see :data:`HCPCS_PATTERN`)."""

Modifier = Annotated[str, Field(pattern=MODIFIER_PATTERN, examples=["HQ"])]
"""One procedure modifier (see :data:`MODIFIER_PATTERN`)."""

ICD10_PATTERN = r"^[A-Z][0-9][A-Z0-9](?:\.[A-Z0-9]{1,4})?$"
"""An ICD-10-CM diagnosis code: a letter, a digit, a letter or digit, then optionally a
dot and one to four letters or digits (``F11.20``, ``Z63``)."""

MAX_DIAGNOSES = 12
"""Diagnosis codes a claim carries at most (CMS-1500 item 21 A-L: twelve)."""

DiagnosisCode = Annotated[str, Field(pattern=ICD10_PATTERN, examples=["F11.20"])]
"""One ICD-10-CM diagnosis code (see :data:`ICD10_PATTERN`)."""

PlaceOfService = Annotated[str, Field(pattern=r"^(?:0[1-9]|[1-9][0-9])$", examples=["11", "57"])]
"""A CMS place-of-service code: two digits, ``01`` to ``99`` (e.g. ``11`` office,
``57`` non-residential substance abuse treatment facility)."""
