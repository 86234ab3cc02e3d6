"""Identity at intake: one ``client_id`` per person for life (seed 003 App. E §3).

"A first task was to establish a client's identity and ascertain whether she or he
previously had participated in the voucher program" (seed 003 App. E §3); client ids must
"allow for clients to be tracked through multiple episodes of care" (seed 003 App. C
§5a note 2). The SSN is never kept in clear: only a keyed hash and the last four digits
(SPEC §3.1).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.eligibility.domain.errors import InvalidSsnError

_SSN_SHAPE = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")


def ssn_digits(ssn: str) -> str:
    """The nine digits of a valid SSN (``123-45-6789`` or ``123456789``).

    SSA never issues area 000, 666 or 900-999, group 00 or serial 0000; such a number is
    a typing error, and a wrong SSN would defeat the returning-client match (seed 003
    App. E §3).
    """
    match = _SSN_SHAPE.match(ssn.strip())
    if match is None:
        raise InvalidSsnError()
    area, group, serial = match.groups()
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise InvalidSsnError()
    return area + group + serial


def ssn_key(secret_key: str, digits: str) -> str:
    """Keyed hash of an SSN (hex HMAC-SHA256 under the platform secret; SPEC §3.1).

    Equal SSNs give equal keys, so a returning person is found, while a leaked database
    does not reveal SSNs without the secret.
    """
    return hmac.new(secret_key.encode(), digits.encode(), hashlib.sha256).hexdigest()


def normalise_name(name: str) -> str:
    """A name reduced for matching: accents removed, case folded, only letters kept.

    ``"  O'Brien-Smith "`` and ``"obriensmith"`` compare equal, so punctuation, spacing
    and capitalisation differences between intakes do not hide a returning person
    (seed 003 App. E §3).
    """
    decomposed = unicodedata.normalize("NFKD", name)
    letters = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in "".join(letters).casefold() if c.isalpha())


@dataclass(frozen=True)
class Identity:
    """What intake knows about a person, SSN already reduced to its key (or absent)."""

    given_name: str
    family_name: str
    date_of_birth: date
    ssn_key: str | None

    @property
    def name_key(self) -> str:
        """Given and family name, normalised, joined by a space."""
        return f"{normalise_name(self.given_name)} {normalise_name(self.family_name)}"


@dataclass(frozen=True)
class KnownClient:
    """A person already enrolled: the facts matching compares against."""

    client_id: str
    name_key: str
    date_of_birth: date
    ssn_key: str | None


ReviewReason = Literal["name_dob_match_ssn_differs", "ssn_match_dob_differs"]


@dataclass(frozen=True)
class Match:
    """The matching decision.

    ``returning`` is set when the person is already enrolled (same SSN and date of
    birth); ``review_with`` lists other clients who may be the same person and need a
    human review; a new ``client_id`` is created whenever ``returning`` is None.
    """

    returning: str | None
    review_with: tuple[str, ...] = ()
    review_reason: ReviewReason | None = None


def match_identity(candidate: Identity, known: Iterable[KnownClient]) -> Match:
    """Find a previous participant before creating a new one (seed 003 App. E §3).

    1. Same SSN and same date of birth: the same person, the existing ``client_id``.
    2. Same SSN, other date of birth: not proven the same person; a new id, flagged for
       review with the SSN holder (a typo or a misused SSN is a human decision).
    3. No SSN match, same normalised name and date of birth (SSN different or missing on
       either side): a new id, flagged for review with every such client — the SSNs do
       not prove them the same, and merging two people would mix their records.
    4. Otherwise a new person.
    """
    people = list(known)
    if candidate.ssn_key is not None:
        same_ssn = [p for p in people if p.ssn_key == candidate.ssn_key]
        for person in same_ssn:
            if person.date_of_birth == candidate.date_of_birth:
                return Match(returning=person.client_id)
        if same_ssn:
            return Match(
                returning=None,
                review_with=tuple(sorted(p.client_id for p in same_ssn)),
                review_reason="ssn_match_dob_differs",
            )
    similar = [
        p
        for p in people
        if p.name_key == candidate.name_key and p.date_of_birth == candidate.date_of_birth
    ]
    if similar:
        return Match(
            returning=None,
            review_with=tuple(sorted(p.client_id for p in similar)),
            review_reason="name_dob_match_ssn_differs",
        )
    return Match(returning=None)


def is_minor(date_of_birth: date, on: date) -> bool:
    """Under 18 on ``on`` (minors need background-checked staff; seed 002 qualifications 2)."""
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    age = on.year - date_of_birth.year - (0 if had_birthday else 1)
    return age < 18


def turns_18_in(date_of_birth: date, on: date) -> int | None:
    """The calendar year a client under 18 on ``on`` turns 18 (None for an adult): what
    the clients topic publishes in place of the birth date, so minority is judged on
    each service date (seed 002 Qualifications §2 "children/minors")."""
    return date_of_birth.year + 18 if is_minor(date_of_birth, on) else None
