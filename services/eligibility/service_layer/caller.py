"""Rules about the caller and dates shared by the client use cases (SPEC §4)."""

from __future__ import annotations

from datetime import date

from services.eligibility.domain.errors import FutureDateError, NotYourProviderError
from services.kit.actor import Actor


def acting_provider(actor: Actor, named: str | None) -> str | None:
    """The provider a fact is reported for: a provider token reports for itself only.

    SPEC §4: a provider "acts and reads for that provider only"; other roles may name the
    provider the fact comes from.
    """
    if actor.role == "provider":
        if named is not None and named != actor.provider_id:
            raise NotYourProviderError()
        return actor.provider_id
    return named


def not_after(day: date, limit: date) -> None:
    """Facts are reported after they happen: refuse a date after ``limit`` (today)."""
    if day > limit:
        raise FutureDateError()
