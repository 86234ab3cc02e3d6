"""Checks that do not depend on the program catalog (issue 6 item 4; SPEC §3.3, §3.4).

Voucher found / active / in date / not closed, service authorised, selected provider,
provider eligible, staff on the roster, client eligible, duplicate line, future date,
and the voucher's remaining units and value. Pure functions over replica data; the
catalog rules run in :mod:`services.claims.domain.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.vouchers import VoucherSnapshot
from services.claims.domain.model import ClaimLine, Decision

CENT = Decimal("0.01")

LAG_REASONS = frozenset({"VOUCHER_NOT_FOUND", "VOUCHER_NOT_ACTIVE", "PROVIDER_NOT_SELECTED"})
"""Denials that may only mean this worker has not yet seen the voucher's latest state."""


@dataclass(frozen=True)
class ProviderFacts:
    """The provider as the registry last published it."""

    provider_id: str
    status: str
    services: frozenset[str]
    staff: dict[str, dict[str, Any]]


@dataclass
class VoucherUsage:
    """Units and value this service already allowed on one voucher (its own ledger)."""

    units: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal("0.00")

    def add(self, code: str, units: int, amount: Decimal) -> None:
        """Record an allowed line."""
        self.units[code] = self.units.get(code, 0) + units
        self.amounts[code] = self.amounts.get(code, Decimal("0.00")) + amount
        self.total += amount

    def copy(self) -> VoucherUsage:
        """An independent copy (the worker decides a batch on copies of its cache)."""
        return VoucherUsage(dict(self.units), dict(self.amounts), self.total)


def voucher_reasons(
    claim: ClaimLine,
    voucher: VoucherSnapshot | None,
    provider: ProviderFacts | None,
    *,
    today: date,
    client_eligible: bool | None,
) -> list[str]:
    """Whole-line denial reasons from voucher, provider and client state (SPEC §3.3).

    - ``FUTURE_DATE``: service date after today.
    - ``VOUCHER_NOT_FOUND`` / ``VOUCHER_CLOSED`` / ``VOUCHER_EXPIRED`` (date outside
      validity) / ``VOUCHER_NOT_ACTIVE`` (no admission yet, dated before it, or after
      a discharge): seed 003 App. E §4.
    - ``PROVIDER_NOT_SELECTED``, ``PROVIDER_NOT_ELIGIBLE`` (SPEC §3.2),
      ``SERVICE_NOT_AUTHORIZED``, ``STAFF_NOT_QUALIFIED`` (not on the roster),
      ``CLIENT_NOT_ELIGIBLE``.
    """
    if claim.service_date > today:
        return ["FUTURE_DATE"]
    if voucher is None:
        return ["VOUCHER_NOT_FOUND"]
    if voucher.client_id != claim.client_id:
        return ["VOUCHER_NOT_FOUND"]
    if voucher.status == "closed" and (
        voucher.closed_on is None or claim.service_date >= voucher.closed_on
    ):
        return ["VOUCHER_CLOSED"]
    if not voucher.valid_from <= claim.service_date <= voucher.valid_until:
        return ["VOUCHER_EXPIRED"]
    if voucher.provider_id != claim.provider_id:
        return ["PROVIDER_NOT_SELECTED"]
    if voucher.admitted_on is None or claim.service_date < voucher.admitted_on:
        return ["VOUCHER_NOT_ACTIVE"]
    if voucher.discharged_on is not None and claim.service_date > voucher.discharged_on:
        return ["VOUCHER_NOT_ACTIVE"]
    if voucher.status not in ("active", "discharged", "expired", "closed"):
        return ["VOUCHER_NOT_ACTIVE"]
    if provider is None or provider.status != "active":
        return ["PROVIDER_NOT_ELIGIBLE"]
    if claim.service_code not in {s.service_code for s in voucher.authorized_services}:
        return ["SERVICE_NOT_AUTHORIZED"]
    if claim.staff_id not in provider.staff:
        return ["STAFF_NOT_QUALIFIED"]
    if client_eligible is False:
        return ["CLIENT_NOT_ELIGIBLE"]
    return []


def cap_by_voucher(
    decision: Decision, claim: ClaimLine, voucher: VoucherSnapshot, usage: VoucherUsage
) -> Decision:
    """Trim the engine's decision to the voucher's remaining units and value.

    ``VOUCHER_UNITS_EXHAUSTED`` when the authorised units run out,
    ``VOUCHER_VALUE_EXHAUSTED`` when the service's authorised amount or the voucher's
    maximum value does (SPEC §3.3 authorised services and maximum value).
    """
    if decision.allowed_units <= 0:
        return decision
    authorised = next(
        (s for s in voucher.authorized_services if s.service_code == claim.service_code), None
    )
    units = decision.allowed_units
    reasons = list(decision.reasons)
    if authorised is not None and authorised.units is not None:
        left = max(authorised.units - usage.units.get(claim.service_code, 0), 0)
        if units > left:
            units = left
            reasons.append("VOUCHER_UNITS_EXHAUSTED")
    amount = _amount_for(decision, units)
    limits: list[Decimal] = []
    if authorised is not None and authorised.amount is not None:
        limits.append(authorised.amount - usage.amounts.get(claim.service_code, Decimal("0")))
    if voucher.max_value is not None:
        limits.append(voucher.max_value - usage.total)
    room = min(limits) if limits else None
    if room is not None and amount > room:
        reasons.append("VOUCHER_VALUE_EXHAUSTED")
        if decision.unit_rate and decision.unit_rate > 0:
            units = max(int(room / decision.unit_rate), 0)
            units = min(units, decision.allowed_units)
            amount = _amount_for(decision, units)
        else:
            units, amount = 0, Decimal("0.00")
    return Decision(
        billed_units=decision.billed_units,
        allowed_units=units,
        unit_rate=decision.unit_rate,
        allowed_amount=amount,
        reasons=tuple(dict.fromkeys(reasons)),
    )


def _amount_for(decision: Decision, units: int) -> Decimal:
    if units == decision.allowed_units:
        return decision.allowed_amount
    if decision.unit_rate is not None:
        return (decision.unit_rate * units).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal("0.00")


def denied(claim: ClaimLine, reasons: list[str], rate: Decimal | None = None) -> Decision:
    """A whole-line denial."""
    return Decision(
        billed_units=claim.units,
        allowed_units=0,
        unit_rate=rate,
        allowed_amount=Decimal("0.00"),
        reasons=tuple(reasons),
    )
