"""Corrections of decided lines: a provider reduces or voids what it billed.

A correction never adds: the corrected billed units are what was actually delivered,
fewer than billed (0 voids the line), and the allowed units become the lesser of what
was allowed and what was delivered, priced at the line's unit rate as adjudication
priced them (SPEC §3.4 amounts; §3.5 "money is never silently changed after the fact":
the difference travels as its own event). More units are billed on a new claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.claims.domain.engine import money
from services.claims.domain.model import Decision

VOIDED = "voided"
"""The status of a line corrected to 0 units."""


class CorrectionRefusedError(ValueError):
    """The correction would add units."""


class NotDecidedError(Exception):
    """The line is still pending: there is no decision to correct yet."""


@dataclass(frozen=True)
class Correction:
    """A decided line before and after its correction."""

    before: Decision
    after: Decision

    @property
    def status(self) -> str:
        """``voided`` for 0 units, else the outcome of the corrected line."""
        return VOIDED if self.after.billed_units == 0 else self.after.outcome

    @property
    def changes(self) -> bool:
        """Whether anything changes (a repeated correction changes nothing)."""
        return self.after.billed_units != self.before.billed_units


def correct(decided: Decision, units: int) -> Correction:
    """The line ``decided`` corrected to ``units`` delivered.

    Refused when ``units`` exceeds the billed units (:class:`CorrectionRefusedError`) or
    the line is still pending (:class:`NotDecidedError`).
    Correcting to the billed units changes nothing (a repeated request is harmless).
    """
    if decided.pending:
        raise NotDecidedError("the line is not decided yet; correct it once it is")
    if units > decided.billed_units:
        raise CorrectionRefusedError(
            f"a correction reduces the billed units ({decided.billed_units}); "
            "bill more on a new claim"
        )
    allowed = min(decided.allowed_units, units)
    if allowed == decided.allowed_units:
        amount = decided.allowed_amount
    elif decided.unit_rate is None:
        amount = Decimal("0.00")
    else:
        amount = money(decided.unit_rate * allowed)
    after = Decision(
        billed_units=units,
        allowed_units=allowed,
        unit_rate=decided.unit_rate,
        allowed_amount=amount,
        reasons=decided.reasons,
    )
    return Correction(before=decided, after=after)
