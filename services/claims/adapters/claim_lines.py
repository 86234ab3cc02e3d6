"""Where a claim line and the facts it is decided on cross the service's edges: the one
place that maps their fields (wire contracts are not domain types).

- a ``ClaimSubmitted`` event's data (or a stored line) → :class:`ClaimLine`;
- a :class:`ClaimLine` and its :class:`Decision` → a ``claims`` row and a
  ``ClaimAdjudicated`` event (SPEC §3.4);
- a stored allowed line → :class:`PriorLine` (what later lines of the client read);
- a ``claims`` row → the ``ClaimStatus`` answer (one line of ``/v1/claims``);
- voucher snapshots and replica rows → :class:`Voucher`, :class:`Provider`,
  :class:`Client`.

The field lists come from the dataclasses and the table, so a field added to
:class:`ClaimLine` (and the ``claims`` table) is carried everywhere at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter

from contracts.api.claims import ClaimStatus
from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedData, ClaimSubmittedData
from contracts.vouchers import VoucherSnapshot
from services.claims.adapters.orm import claims
from services.claims.domain.facts import AuthorisedService, Client, Provider, Voucher
from services.claims.domain.model import (
    ClaimLine,
    Decision,
    PriorLine,
    StaffRecord,
    StatusPeriod,
)

LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ClaimLine))
"""A claim line's fields: the same names in ``ClaimSubmittedData``."""

LINE_COLUMNS: tuple[str, ...] = tuple(c.name for c in claims.columns if c.name in LINE_FIELDS)
"""The line's fields the ``claims`` table has a column for (``units`` is ``billed_units``;
the whole line is kept in the ``line`` column)."""

PRIOR_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PriorLine))
"""What the rule engine reads of an earlier allowed line (each a ``claims`` column)."""

HISTORY_COLUMNS = (
    *(claims.c[name] for name in PRIOR_FIELDS),
    claims.c.client_id,
    claims.c.decision_seq,
)
"""The columns a client's history is read from."""

_AS_JSON: TypeAdapter[ClaimLine] = TypeAdapter(ClaimLine)


def line_from_submitted(data: ClaimSubmittedData) -> ClaimLine:
    """The domain's view of a submitted line (SPEC §3.4 fields; lists, such as the
    modifiers and diagnosis codes, become tuples: a line is an immutable value)."""
    return ClaimLine(**{name: _frozen(getattr(data, name)) for name in LINE_FIELDS})


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def line_from_stored(stored: Mapping[str, Any]) -> ClaimLine:
    """A line from the ``line`` column (validated as the submitted event was)."""
    return line_from_submitted(ClaimSubmittedData.model_validate(stored))


def line_values(line: ClaimLine, received_at: datetime) -> dict[str, Any]:
    """The ``claims`` columns of a received line (its decision aside)."""
    values = {name: getattr(line, name) for name in LINE_COLUMNS}
    values["billed_units"] = line.units
    values["line"] = _AS_JSON.dump_python(line, mode="json")
    values["received_at"] = received_at
    return values


def decision_values(
    decision: Decision, decided_at: datetime, decision_seq: int | None
) -> dict[str, Any]:
    """The ``claims`` columns of a decision (a pending one: nothing decided yet),
    written at ``decided_at`` (``updated_at``; ``changed_in`` is the writer's to set)."""
    if decision.pending:
        return {
            "updated_at": decided_at,
            "status": "pending",
            "allowed_units": 0,
            "denied_units": 0,
            "unit_rate": None,
            "allowed_amount": Decimal("0.00"),
            "denied_amount": Decimal("0.00"),
            "reasons": [],
            "allowed_days": None,
            "decided_at": None,
            "decision_seq": None,
        }
    return {
        "updated_at": decided_at,
        "status": decision.outcome,
        "allowed_units": decision.allowed_units,
        "denied_units": decision.denied_units,
        "unit_rate": decision.unit_rate,
        "allowed_amount": decision.allowed_amount,
        "denied_amount": decision.denied_amount,
        "reasons": [str(reason) for reason in decision.reasons],
        "allowed_days": _iso_days(decision.allowed_days),
        "decided_at": decided_at,
        "decision_seq": decision_seq,
    }


def _iso_days(days: tuple[date, ...] | None) -> list[str] | None:
    """The ``allowed_days`` column: ISO dates, or None for a one-day line."""
    return None if days is None else [day.isoformat() for day in days]


def adjudicated_event(
    line: ClaimLine, decision: Decision, decided_at: datetime
) -> ClaimAdjudicated:
    """``atr.claims.adjudicated.v1`` for a decided line (SPEC §3.4 outcome and reasons)."""
    outcome = decision.outcome
    assert outcome != "pending"
    return ClaimAdjudicated(
        subject=line.client_id,
        data=ClaimAdjudicatedData(
            claim_id=line.claim_id,
            claim_ref=line.claim_ref,
            provider_id=line.provider_id,
            client_id=line.client_id,
            voucher_id=line.voucher_id,
            service_code=line.service_code,
            service_date=line.service_date,
            service_date_to=line.service_date_to,
            billed_units=line.units,
            allowed_units=decision.allowed_units,
            denied_units=decision.denied_units,
            unit_rate=decision.unit_rate,
            allowed_amount=decision.allowed_amount,
            denied_amount=decision.denied_amount,
            outcome=outcome,
            reasons=[str(reason) for reason in decision.reasons],
            adjudicated_at=decided_at,
        ),
    )


def claim_view(row: Any) -> ClaimStatus:
    """A ``claims`` row as ``GET /v1/claims/{id}`` and the claims list show it: status,
    allowed/denied units and amounts, reasons (SPEC §4; funding is payments' to add)."""
    return ClaimStatus(
        claim_id=row.claim_id,
        claim_ref=row.claim_ref,
        provider_id=row.provider_id,
        client_id=row.client_id,
        voucher_id=row.voucher_id,
        service_code=row.service_code,
        service_date=row.service_date,
        service_date_to=row.service_date_to,
        status=row.status,
        billed_units=row.billed_units,
        allowed_units=row.allowed_units,
        denied_units=row.denied_units,
        unit_rate=row.unit_rate,
        allowed_amount=row.allowed_amount,
        denied_amount=row.denied_amount,
        reasons=row.reasons,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        updated_at=row.updated_at,
    )


def prior_line(row: Any) -> PriorLine:
    """An earlier allowed line as read from :data:`HISTORY_COLUMNS`."""
    values = {name: getattr(row, name) for name in PRIOR_FIELDS}
    values["allowed_amount"] = Decimal(values["allowed_amount"])
    if values["miles"] is not None:
        values["miles"] = Decimal(values["miles"])
    if values["allowed_days"] is not None:
        values["allowed_days"] = tuple(date.fromisoformat(day) for day in values["allowed_days"])
    return PriorLine(**values)


def voucher_from_snapshot(snapshot: VoucherSnapshot) -> Voucher:
    """The domain's view of a voucher snapshot (replica or the vouchers service's answer)."""
    return Voucher(
        voucher_id=snapshot.voucher_id,
        client_id=snapshot.client_id,
        status=snapshot.status,
        valid_from=snapshot.valid_from,
        valid_until=snapshot.valid_until,
        authorised=MappingProxyType(
            {
                s.service_code: AuthorisedService(s.service_code, s.units, s.amount)
                for s in snapshot.authorized_services
            }
        ),
        max_value=snapshot.max_value,
        provider_id=snapshot.provider_id,
        admitted_on=snapshot.admitted_on,
        admission_recorded_at=snapshot.admission_recorded_at,
        discharged_on=snapshot.discharged_on,
        closed_on=snapshot.closed_on,
    )


def provider_from_row(row: Any) -> Provider:
    """A ``provider_replica`` row: status, services and the roster by staff id."""
    return Provider(
        provider_id=row.provider_id,
        status=row.status,
        services=frozenset(row.services),
        staff=MappingProxyType({member["staff_id"]: staff_record(member) for member in row.staff}),
        history=tuple(
            (date.fromisoformat(since), status) for since, status in row.status_history or ()
        ),
    )


def staff_record(member: Mapping[str, Any]) -> StaffRecord:
    """A roster entry as the registry publishes it (seed 002 qualifications)."""
    checked = member.get("background_check_date")
    return StaffRecord(
        staff_id=member["staff_id"],
        credentials=frozenset(member.get("credentials", [])),
        months_experience=int(member.get("months_experience", 0)),
        supervised=bool(member.get("supervised", False)),
        background_check_date=date.fromisoformat(checked) if checked else None,
        background_check_outcome=member.get("background_check_outcome"),
        credential_expiry=MappingProxyType(
            {
                term["credential"]: date.fromisoformat(term["current_until"])
                for term in member.get("credential_expiry") or ()
            }
        ),
        experience=MappingProxyType(
            {item["area"]: int(item["months"]) for item in member.get("experience") or ()}
        ),
    )


def client_from_row(row: Any) -> Client:
    """A ``client_replica`` row: eligibility, age group, treatment statuses, attributes."""
    return Client(
        eligible=row.eligible,
        minor=row.minor,
        turns_18_in=row.turns_18_in,
        reviewed=frozenset(
            (date.fromisoformat(r["service_date"]), r["service_code"]) for r in row.reviewed or ()
        ),
        statuses=tuple(
            StatusPeriod(s["status"], date.fromisoformat(s["effective_from"])) for s in row.statuses
        ),
        attributes=frozenset(row.attributes),
    )
