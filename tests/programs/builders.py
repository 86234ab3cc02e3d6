"""Claim lines and histories for rule tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from itertools import count
from typing import Any

from programs.catalog import Catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import (
    ClaimLine,
    ClientHistory,
    Decision,
    PriorLine,
    StaffRecord,
    StatusPeriod,
)

DAY = date(2026, 9, 16)  # a Wednesday
EPISODE = (date(2026, 7, 1), date(2027, 6, 30))
GRADUATE = StaffRecord("S1", frozenset({"addictions_academy_graduate"}))
MINISTER = StaffRecord("S2", frozenset({"addictions_academy_graduate", "ordained_minister"}))
_ids = count(1)

DOCUMENTED: dict[str, Any] = {"client_signature": True, "face_to_face": True}


def line(code: str, units: int = 1, day: date = DAY, **extra: Any) -> ClaimLine:
    """A claim line, documented (signature, face to face) unless overridden."""
    values: dict[str, Any] = {**DOCUMENTED, **extra}
    return ClaimLine(
        claim_id=f"K{next(_ids)}",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=code,
        service_date=day,
        units=units,
        staff_id=values.pop("staff_id", "S1"),
        **values,
    )


def timed(code: str, units: int, start: str, end: str, day: date = DAY, **extra: Any) -> ClaimLine:
    """A line with start and end times."""
    return line(
        code,
        units,
        day,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        **extra,
    )


def history(
    *prior: PriorLine,
    staff: StaffRecord | None = GRADUATE,
    status: str | None = None,
    status_from: date = EPISODE[0],
    attributes: frozenset[str] = frozenset(),
    minor: bool = False,
) -> ClientHistory:
    """A client history in the standard episode."""
    statuses = (StatusPeriod(status, status_from),) if status else ()
    return ClientHistory(
        prior_lines=prior,
        statuses=statuses,
        staff=staff,
        attributes=attributes,
        minor=minor,
        episode_start=EPISODE[0],
        episode_end=EPISODE[1],
    )


def as_prior(claim: ClaimLine, decision: Decision) -> PriorLine:
    """An allowed line as later claims see it."""
    return claim.allowed(decision.allowed_units, decision.allowed_amount)


def run(
    catalog: Catalog, claims: list[ClaimLine], base: ClientHistory
) -> list[tuple[ClaimLine, Decision]]:
    """Adjudicate lines in order, each seeing the ones allowed before it."""
    results = []
    prior = list(base.prior_lines)
    for claim in claims:
        decision = evaluate(catalog, claim, replace(base, prior_lines=tuple(prior)))
        results.append((claim, decision))
        if decision.allowed_units > 0:
            prior.append(as_prior(claim, decision))
    return results


def allowed(catalog: Catalog, claim: ClaimLine, base: ClientHistory) -> Decision:
    """Evaluate one line."""
    return evaluate(catalog, claim, base)
