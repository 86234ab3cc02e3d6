"""Checks that do not depend on the program catalog (SPEC §3.3, §3.4).

Voucher found / in date / not closed / this provider selected / admitted, no other
provider holding the client for the service, provider eligible, service authorised,
staff on the roster, client eligible, future date, and the voucher's remaining units and
value. Pure functions over
:mod:`~services.claims.domain.facts`; the catalog rules run in
:mod:`services.claims.domain.engine`, and :mod:`services.claims.domain.adjudicate`
puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from contracts.reasons import Reason
from services.claims.domain.facts import Facts, Voucher, VoucherUsage
from services.claims.domain.model import ClaimLine, Decision
from services.claims.domain.precedence import ordered

CENT = Decimal("0.01")

LAG_REASONS = frozenset(
    {Reason.VOUCHER_NOT_FOUND, Reason.VOUCHER_NOT_ACTIVE, Reason.PROVIDER_NOT_SELECTED}
)
"""Faults that may only mean this worker has not seen the voucher's latest state yet
(SPEC §3.4 read-your-writes): issued, provider selected, admitted."""

CHARGEABLE_STATUSES = frozenset({"active", "discharged", "expired", "closed"})
"""Voucher statuses under which a line dated in the admitted period may be charged."""


def voucher_faults(claim: ClaimLine, voucher: Voucher | None) -> set[Reason]:
    """Every fault of the line against ``voucher`` (seed 003 App. E §4; SPEC §3.3).

    ``VOUCHER_NOT_FOUND`` (none, or another client's) alone; else ``VOUCHER_CLOSED``
    (dated on or after the closure), ``VOUCHER_EXPIRED`` (dated outside validity),
    ``PROVIDER_NOT_SELECTED``, ``VOUCHER_NOT_ACTIVE`` (no admission, dated before it or
    after a discharge, or a status that is not chargeable) and
    ``SERVICE_NOT_AUTHORIZED``.
    """
    if voucher is None or voucher.client_id != claim.client_id:
        return {Reason.VOUCHER_NOT_FOUND}
    faults: set[Reason] = set()
    day = claim.service_date
    if voucher.status == "closed" and (voucher.closed_on is None or day >= voucher.closed_on):
        faults.add(Reason.VOUCHER_CLOSED)
    if not voucher.valid_from <= day <= voucher.valid_until:
        faults.add(Reason.VOUCHER_EXPIRED)
    if voucher.provider_id != claim.provider_id:
        faults.add(Reason.PROVIDER_NOT_SELECTED)
    if (
        voucher.admitted_on is None
        or day < voucher.admitted_on
        or (voucher.discharged_on is not None and day > voucher.discharged_on)
        or voucher.status not in CHARGEABLE_STATUSES
    ):
        faults.add(Reason.VOUCHER_NOT_ACTIVE)
    if claim.service_code not in voucher.authorised:
        faults.add(Reason.SERVICE_NOT_AUTHORIZED)
    return faults


def held_by_another_provider(
    claim: ClaimLine, voucher: Voucher | None, others: Iterable[Voucher]
) -> bool:
    """Whether another provider held the client for the line's service on its date.

    Seed 003 App. E §6: "Clients could not receive subsidies for the same type of
    clinical treatment or recovery support service from more than one provider at a
    time, so separation information was necessary if a client was being re-placed"
    (SPEC §3.3). Admission refuses a second provider while the first is subsidised; a
    claim is checked on its service date too (``CONCURRENT_PROVIDER``): another voucher
    of the client, with another provider, authorising the same service, admitted on or
    before the date and not separated (discharged, closed) before it, and admitted
    before the line's own voucher (the first provider keeps the client; the second is
    the one denied). A line whose voucher has no admission is ``VOUCHER_NOT_ACTIVE``
    already and is not compared.
    """
    if voucher is None or voucher.admitted_on is None:
        return False
    day = claim.service_date
    mine = _admission_order(voucher)
    return any(
        other.voucher_id != voucher.voucher_id
        and other.client_id == claim.client_id
        and other.provider_id not in (None, claim.provider_id)
        and claim.service_code in other.authorised
        and _holds_on(other, day)
        and _admission_order(other) < mine
        for other in others
    )


def _holds_on(voucher: Voucher, day: date) -> bool:
    """The voucher's provider is subsidised for the client on ``day``: admitted by then,
    not discharged or closed before it, within validity, in a chargeable status."""
    return (
        voucher.admitted_on is not None
        and voucher.admitted_on <= day
        and (voucher.discharged_on is None or day <= voucher.discharged_on)
        and not (
            voucher.status == "closed" and (voucher.closed_on is None or day >= voucher.closed_on)
        )
        and voucher.valid_from <= day <= voucher.valid_until
        and voucher.status in CHARGEABLE_STATUSES
    )


def _admission_order(voucher: Voucher) -> tuple[date, datetime]:
    """Who was admitted first: the admission date, then when it was recorded."""
    assert voucher.admitted_on is not None
    return (voucher.admitted_on, voucher.admission_recorded_at or LATEST)


LATEST = datetime.max.replace(tzinfo=UTC)


def party_faults(claim: ClaimLine, facts: Facts) -> set[Reason]:
    """Faults of the date and the parties, whatever the voucher (SPEC §3.2, §3.4).

    ``FUTURE_DATE`` (after today), ``PROVIDER_NOT_ELIGIBLE`` (unknown, or not eligible
    on the service date: :meth:`~services.claims.domain.facts.Provider.eligible_on`),
    ``STAFF_NOT_QUALIFIED`` (not on the provider's roster), ``CLIENT_NOT_ELIGIBLE``
    (eligibility determined negative).
    """
    faults: set[Reason] = set()
    if claim.service_date > facts.today:
        faults.add(Reason.FUTURE_DATE)
    if facts.provider is None or not facts.provider.eligible_on(claim.service_date):
        faults.add(Reason.PROVIDER_NOT_ELIGIBLE)
    if facts.staff is None:
        faults.add(Reason.STAFF_NOT_QUALIFIED)
    if facts.client is not None and facts.client.eligible is False:
        faults.add(Reason.CLIENT_NOT_ELIGIBLE)
    return faults


def cap_by_voucher(
    decision: Decision, claim: ClaimLine, voucher: Voucher, usage: VoucherUsage
) -> Decision:
    """Trim the engine's decision to the voucher's remaining units and value.

    ``VOUCHER_UNITS_EXHAUSTED`` when the authorised units run out,
    ``VOUCHER_VALUE_EXHAUSTED`` when the service's authorised amount or the voucher's
    maximum value does (SPEC §3.3 authorised services and maximum value).
    """
    if decision.allowed_units <= 0:
        return decision
    authorised = voucher.authorised.get(claim.service_code)
    units = decision.allowed_units
    reasons = list(decision.reasons)
    if authorised is not None and authorised.units is not None:
        left = max(authorised.units - usage.units.get(claim.service_code, 0), 0)
        if units > left:
            units = left
            reasons.append(Reason.VOUCHER_UNITS_EXHAUSTED)
    amount = _amount_for(decision, units)
    limits: list[Decimal] = []
    if authorised is not None and authorised.amount is not None:
        limits.append(authorised.amount - usage.amounts.get(claim.service_code, Decimal("0")))
    if voucher.max_value is not None:
        limits.append(voucher.max_value - usage.total)
    room = min(limits) if limits else None
    if room is not None and amount > room:
        reasons.append(Reason.VOUCHER_VALUE_EXHAUSTED)
        if decision.unit_rate and decision.unit_rate > 0:
            units = max(int(room / decision.unit_rate), 0)
            units = min(units, decision.allowed_units)
            amount = _amount_for(decision, units)
        else:
            units, amount = 0, Decimal("0.00")
    if units == decision.allowed_units and len(reasons) == len(decision.reasons):
        return decision
    return Decision(
        billed_units=decision.billed_units,
        allowed_units=units,
        unit_rate=decision.unit_rate,
        allowed_amount=amount,
        reasons=ordered(reasons),
    )


def _amount_for(decision: Decision, units: int) -> Decimal:
    if units == decision.allowed_units:
        return decision.allowed_amount
    if decision.unit_rate is not None:
        return (decision.unit_rate * units).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal("0.00")
