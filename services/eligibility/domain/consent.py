"""The consent gate for disclosures (42 CFR Part 2; seed 003 App. E §3; seed 002
"with the consent of the client, ... providers share information"; SPEC §3.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Consent:
    """A client's written consent to disclose to one provider for a purpose."""

    consent_id: str
    provider_id: str
    purpose: str
    signed_on: date
    expires_on: date | None = None
    revoked_on: date | None = None

    def in_force(self, on: date) -> bool:
        """Signed on or before ``on``, not yet expired and not revoked by then."""
        if self.signed_on > on:
            return False
        if self.expires_on is not None and on > self.expires_on:
            return False
        return self.revoked_on is None or on < self.revoked_on


def consent_for(
    consents: Iterable[Consent], provider_id: str | None, purpose: str, on: date
) -> Consent | None:
    """The consent that allows disclosing ``purpose`` to ``provider_id`` on ``on``, if any.

    42 CFR Part 2: a SUD program discloses patient records only with the patient's
    written consent naming the recipient; the assessment summary reaches the chosen
    provider only then (seed 003 App. E §3, SPEC §3.1). No provider, no disclosure.
    """
    if not provider_id:
        return None
    for consent in consents:
        if (
            consent.provider_id == provider_id
            and consent.purpose == purpose
            and consent.in_force(on)
        ):
            return consent
    return None
