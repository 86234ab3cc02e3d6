"""Our claim and payment state → FHIR ``ClaimResponse`` and ``ExplanationOfBenefit``.

A ``ClaimResponse`` answers one FHIR Claim: one ``item`` per line (``itemSequence`` the
Claim item's ``sequence``), each with its adjudication:

- ``submitted``: billed units (``value``) and, once priced, their amount;
- ``eligible``: allowed units and amount once decided;
- ``benefit``: what payments funded (0 when it could not fund the line) once it
  decided;
- ``denied`` (the platform's category): denied units and amount, with each reason
  code as ``reason`` (one entry per reason; units and amount on the first).

``outcome``: ``queued`` while no line is decided, ``partial`` while some are,
``complete`` once all are (a denial is a completed adjudication too). ``error`` is not
used: a Claim that cannot be accepted is refused with 422 instead.

An ``ExplanationOfBenefit`` is one line: the same adjudication, and ``payment`` once
payments funded it (``amount`` payable to the provider, the 10 % ``holdback`` as a
negative ``adjustment``; seed 003 App. E §5 via SPEC §3.5).

Every resource is validated with its ``fhir.resources`` model before it is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claimresponse import ClaimResponse
from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit

from contracts.api.claims import ClaimStatus
from contracts.api.payments import Funding
from services.gateway.fhir import systems
from services.gateway.fhir.claim_in import group_of

DECIDED = frozenset({"approved", "partially_approved", "denied", "voided"})
"""Line statuses of a completed adjudication (``received`` and ``pending`` are not)."""


@dataclass(frozen=True)
class LineState:
    """One line as the platform knows it: the gateway's key, the claims service's view
    (``received`` only until it stored the line) and payments' funding, if any."""

    claim_id: str
    claim_ref: str
    provider_id: str
    client_id: str
    status: ClaimStatus
    funding: Funding | None = None

    @property
    def decided(self) -> bool:
        """The claims service decided the line."""
        return self.status.status in DECIDED

    @property
    def sequence(self) -> int:
        """The Claim item the line was (``claim_ref`` ``<identifier>:<sequence>``)."""
        return group_of(self.claim_ref)[1]


def _money(amount: Decimal) -> dict[str, Any]:
    return {"value": amount, "currency": "USD"}


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _category(code: str) -> dict[str, Any]:
    return _concept(systems.ADJUDICATION, code)


def adjudication(line: LineState) -> list[dict[str, Any]]:
    """The line's adjudication entries (module docstring), as known so far."""
    status = line.status
    entries: list[dict[str, Any]] = []
    if status.billed_units is not None:
        submitted: dict[str, Any] = {"category": _category("submitted")}
        submitted["value"] = status.billed_units
        if status.allowed_amount is not None and status.denied_amount is not None:
            submitted["amount"] = _money(status.allowed_amount + status.denied_amount)
        entries.append(submitted)
    if line.decided:
        eligible: dict[str, Any] = {
            "category": _category("eligible"),
            "value": status.allowed_units or 0,
        }
        if status.allowed_amount is not None:
            eligible["amount"] = _money(status.allowed_amount)
        entries.append(eligible)
    if line.funding is not None:
        paid = line.funding.amount if line.funding.funded else Decimal("0.00")
        entries.append({"category": _category("benefit"), "amount": _money(paid)})
    for position, reason in enumerate(status.reasons):
        denied: dict[str, Any] = {
            "category": _concept(systems.ATR_ADJUDICATION, "denied"),
            "reason": _concept(systems.REASON, reason),
        }
        if position == 0:
            denied["value"] = status.denied_units or 0
            if status.denied_amount is not None:
                denied["amount"] = _money(status.denied_amount)
        entries.append(denied)
    return entries


def _totals(lines: Sequence[LineState]) -> list[dict[str, Any]]:
    """Sums over the lines of each category every line has an amount in."""
    sums: dict[str, Decimal] = {}
    for code in ("submitted", "eligible", "benefit"):
        amounts = [
            entry["amount"]["value"]
            for line in lines
            for entry in adjudication(line)
            if entry["category"]["coding"][0]["code"] == code and "amount" in entry
        ]
        if len(amounts) == len(lines) and amounts:
            sums[code] = sum(amounts, Decimal("0.00"))
    return [{"category": _category(code), "amount": _money(total)} for code, total in sums.items()]


def outcome_of(lines: Sequence[LineState]) -> str:
    """``queued``, ``partial`` or ``complete`` (module docstring)."""
    decided = sum(1 for line in lines if line.decided)
    if decided == 0:
        return "queued"
    return "complete" if decided == len(lines) else "partial"


def _created(lines: Sequence[LineState], now: datetime) -> str:
    times = [line.status.submitted_at for line in lines if line.status.submitted_at]
    return (min(times) if times else now).astimezone(UTC).isoformat()


def _common(first: LineState, insurer: str) -> dict[str, Any]:
    return {
        "status": "active",
        "type": _concept(systems.CLAIM_TYPE, "professional"),
        "use": "claim",
        "patient": {"reference": f"Patient/{first.client_id}"},
        "insurer": {"display": insurer},
    }


def claim_response(
    resource_id: str, lines: Sequence[LineState], *, insurer: str, now: datetime
) -> ClaimResponse:
    """The ClaimResponse of the Claim whose lines are ``lines`` (in item order), with
    id ``resource_id``; validated."""
    first = lines[0]
    items = []
    for line in lines:
        entries = adjudication(line)
        if not entries:
            continue  # accepted, not stored by the claims service yet: nothing to say
        items.append(
            {
                "extension": [{"url": systems.CLAIM_ID_EXTENSION, "valueString": line.claim_id}],
                "itemSequence": line.sequence,
                "adjudication": entries,
            }
        )
    outcome = outcome_of(lines)
    decided = sum(1 for line in lines if line.decided)
    resource: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": resource_id,
        "identifier": [{"system": systems.CLAIM_ID, "value": line.claim_id} for line in lines],
        **_common(first, insurer),
        "created": _created(lines, now),
        "requestor": {"reference": f"Organization/{first.provider_id}"},
        "request": {
            "identifier": {"system": systems.CLAIM_REF, "value": group_of(first.claim_ref)[0]}
        },
        "outcome": outcome,
        "disposition": f"{decided} of {len(lines)} line(s) decided",
    }
    voucher = first.status.voucher_id
    if voucher:
        resource["preAuthRef"] = voucher
    if items:
        resource["item"] = items
    totals = _totals(lines)
    if totals:
        resource["total"] = totals
    return ClaimResponse.model_validate(resource)


def _payment(funding: Funding) -> dict[str, Any]:
    """``payment``: what is payable to the provider, the holdback as an adjustment."""
    payment: dict[str, Any] = {
        "type": _concept(systems.PAYMENT_TYPE, "complete" if funding.holdback == 0 else "partial"),
        "amount": _money(funding.payable if funding.funded else Decimal("0.00")),
    }
    if funding.funded and funding.holdback:
        payment["adjustment"] = _money(-funding.holdback)
        payment["adjustmentReason"] = _concept(
            systems.PAYMENT_ADJUSTMENT, "holdback", f"held back ({funding.holdback_state})"
        )
    if funding.invoice_id:
        payment["identifier"] = {"value": funding.invoice_id}
    return payment


def _serviced(first: date, last: date | None) -> dict[str, Any]:
    """An item's ``servicedDate``, or for a date-range line (a per-diem stay billed on
    one line, ``service_date_to``) its ``servicedPeriod`` from the first to the last
    day, as ``claim_in`` reads a Claim's item."""
    if last is None or last == first:
        return {"servicedDate": first.isoformat()}
    return {"servicedPeriod": {"start": first.isoformat(), "end": last.isoformat()}}


def explanation_of_benefit(line: LineState, *, insurer: str, now: datetime) -> ExplanationOfBenefit:
    """The ExplanationOfBenefit of one line (id: its claim id); validated."""
    status = line.status
    resource: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": line.claim_id,
        "identifier": [
            {"system": systems.CLAIM_ID, "value": line.claim_id},
            {"system": systems.CLAIM_REF, "value": line.claim_ref},
        ],
        **_common(line, insurer),
        "created": _created([line], now),
        "provider": {"reference": f"Organization/{line.provider_id}"},
        "outcome": "complete" if line.decided else "queued",
        "disposition": status.status,
        "insurance": [{"focal": True, "coverage": {"display": "ATR voucher"}}],
    }
    if status.voucher_id:
        resource["preAuthRef"] = [status.voucher_id]
        resource["insurance"][0]["preAuthRef"] = [status.voucher_id]
    if status.service_code and status.service_date and status.billed_units is not None:
        item: dict[str, Any] = {
            "sequence": line.sequence,
            "productOrService": _concept(systems.SERVICE_CODE, status.service_code),
            **_serviced(status.service_date, status.service_date_to),
            "quantity": {"value": status.billed_units},
        }
        entries = adjudication(line)
        if entries:
            item["adjudication"] = entries
        resource["item"] = [item]
    totals = _totals([line])
    if totals:
        resource["total"] = totals
    if line.funding is not None:
        resource["payment"] = _payment(line.funding)
    return ExplanationOfBenefit.model_validate(resource)


def search_bundle(resources: Sequence[ExplanationOfBenefit], total: int) -> Bundle:
    """A ``searchset`` Bundle of ``resources`` (``total``: all that matched); validated."""
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "entry": [
                {"resource": resource, "search": {"mode": "match"}} for resource in resources
            ],
        }
    )
