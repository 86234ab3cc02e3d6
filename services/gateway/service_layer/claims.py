"""Claim intake (SPEC §4 ``POST /v1/claims`` and ``/batch``).

Lines are accepted atomically: the idempotency keys and the ``ClaimSubmitted`` events
(outbox) are written in one transaction, so a 202 means the claim will reach the
workers even if the gateway dies the next instant. Idempotent on
(``provider_id``, ``claim_ref``): the same body again returns the original claim id; a
different body under a used ref is a conflict (409) and nothing of the request is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from contracts.claims import ClaimFrequency, ClaimSubmitted, ClaimSubmittedData, SubmitClaim
from contracts.ids import uuid7
from contracts.topics import CLAIMS_SUBMITTED
from programs.catalog import Catalog
from services.gateway.adapters.orm import claim_keys
from services.kit.unit_of_work import UnitOfWork

SERVICE_DATE_AHEAD = timedelta(days=366)
"""How far ahead a service date may lie. Such a line is accepted and denied
``FUTURE_DATE`` by the engine; further ahead it is a typo, refused at the edge."""


class ClaimRefConflictError(Exception):
    """A ``claim_ref`` reused with a different body (HTTP 409)."""

    def __init__(self, claim_ref: str, claim_id: str) -> None:
        super().__init__(f"claim_ref {claim_ref} was used for a different claim ({claim_id})")
        self.claim_ref = claim_ref
        self.claim_id = claim_id


@dataclass(frozen=True)
class Accepted:
    """One line's answer: its claim id and whether it repeats an earlier submission; for
    a replacement or void line, the earlier claim it voided (a void's ``claim_id`` is
    that claim's, its status ``voided``)."""

    claim_ref: str
    claim_id: str
    duplicate: bool
    status: str = "received"
    voided_claim_id: str | None = None


def service_date_errors(
    lines: Sequence[SubmitClaim], catalog: Catalog, today: date, *, batch: bool
) -> list[dict[str, Any]]:
    """Validation errors (FastAPI's shape) for lines dated outside the program's window.

    The window is [``catalog.earliest_service_date``, ``today`` + 366 days]; a date
    range's last day (``service_date_to``) is held to it too, and a range must be of a
    per-diem service (:func:`date_range_errors`). A single
    line's error is at ``["body", "service_date"]``; a ``batch``'s at
    ``["body", "claims", i, "service_date"]``, where FastAPI puts its own. No value is
    echoed (the message gives the window, not the date).
    """
    first, last = catalog.earliest_service_date, today + SERVICE_DATE_AHEAD
    errors: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        where: tuple[str | int, ...] = ("body", "claims", index) if batch else ("body",)
        for name in ("service_date", "service_date_to"):
            day = getattr(line, name)
            if day is None or first <= day <= last:
                continue
            errors.append(
                {
                    "type": "date_out_of_range",
                    "loc": (*where, name),
                    "msg": f"must be between {first.isoformat()} ({catalog.program} starts) "
                    f"and {last.isoformat()} (366 days ahead)",
                }
            )
    return errors + date_range_errors(lines, catalog, batch=batch)


def date_range_errors(
    lines: Sequence[SubmitClaim], catalog: Catalog, *, batch: bool
) -> list[dict[str, Any]]:
    """Validation errors (FastAPI's shape) for date-range lines of a service the catalog
    does not bill by the day: only a per-diem service (``unit: day``) may bill several
    days on one line (``service_date_to``; the contract checks the range itself). A
    service the catalog does not know is not checked here (the engine denies it
    ``NOT_BILLABLE``). Locations as in :func:`service_date_errors`.
    """
    errors: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        if line.service_date_to is None:
            continue
        try:
            unit = catalog.service(line.service_code).unit
        except KeyError:
            continue
        if unit == "day":
            continue
        where: tuple[str | int, ...] = ("body", "claims", index) if batch else ("body",)
        errors.append(
            {
                "type": "date_range_not_per_diem",
                "loc": (*where, "service_date_to"),
                "msg": f"{line.service_code} is billed per {unit.replace('_', ' ')}, not by "
                "the day: bill each date on its own line",
            }
        )
    return errors


LATER_OPTIONAL_FIELDS = frozenset(
    {
        "rendering_npi",
        "billing_npi",
        "procedure_code",
        "modifiers",
        "diagnosis_codes",
        "place_of_service",
        "group_clients",
        "trip_authorization",
        "missed_appointment_on",
        "documented_purpose",
        "service_date_to",
        "replaces_claim_ref",
    }
)
"""Optional line fields added after idempotency keys were first stored: left out of a
line's fingerprint while absent, so a body stored before they existed still hashes as
it did (its resubmission is a duplicate, not a 409)."""


def body_hash(line: SubmitClaim) -> str:
    """Fingerprint of a line's content (field order is the model's, so stable; optional
    fields added later count only when given, :data:`LATER_OPTIONAL_FIELDS`, and the
    claim frequency only when it is not ``original``)."""
    absent = {name for name in LATER_OPTIONAL_FIELDS if getattr(line, name) is None}
    if line.frequency is ClaimFrequency.ORIGINAL:
        absent |= {"frequency", "replaces_claim_ref"}
    return hashlib.sha256(line.model_dump_json(exclude=absent).encode()).hexdigest()


def procedure_code_errors(
    lines: Sequence[SubmitClaim], catalog: Catalog, *, batch: bool
) -> list[dict[str, Any]]:
    """Validation errors (FastAPI's shape) for lines whose ``procedure_code`` is not the
    HCPCS code the catalog bills their ``service_code`` under (``Service.hcpcs``).

    A line without a procedure code, or for a service the catalog does not know or
    map, is not checked here (an unknown service is denied ``NOT_BILLABLE`` by the
    engine). Locations as in :func:`service_date_errors`.
    """
    errors: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        expected = catalog.hcpcs_of(line.service_code)
        if line.procedure_code is None or expected is None:
            continue
        if line.procedure_code == expected.code:
            continue
        where: tuple[str | int, ...] = ("body", "claims", index) if batch else ("body",)
        errors.append(
            {
                "type": "procedure_code_mismatch",
                "loc": (*where, "procedure_code"),
                "msg": f"must be {expected.code}, the HCPCS code {catalog.program} bills "
                f"{line.service_code} under",
            }
        )
    return errors


async def accept_claims(
    uow: UnitOfWork, lines: Sequence[SubmitClaim], now: datetime, filed_on: date | None = None
) -> list[Accepted]:
    """Record new lines and queue their ``ClaimSubmitted`` events; answer duplicates.

    ``filed_on`` (the program clock's date) goes on each event: the claims service
    measures the program's timely filing limit against it. Raises
    :class:`ClaimRefConflictError` (nothing written) for a reused ``claim_ref``."""
    known = await stored_keys(uow, lines)
    answers, rows = admit(uow, known, lines, now, filed_on)
    await insert_keys(uow, rows)
    return answers


KnownKeys = dict[tuple[str, str], tuple[str, str]]
"""(provider_id, claim_ref) → (claim_id, body hash) of lines already accepted."""


async def stored_keys(uow: UnitOfWork, lines: Sequence[SubmitClaim]) -> KnownKeys:
    """The idempotency keys already stored for any of ``lines`` (one query per provider
    and 500 refs), so a group of requests is checked in one round trip."""
    refs_by_provider: dict[str, set[str]] = {}
    for line in lines:
        refs_by_provider.setdefault(line.provider_id, set()).add(line.claim_ref)
    known: KnownKeys = {}
    for provider_id, refs in refs_by_provider.items():
        ordered = sorted(refs)
        for start in range(0, len(ordered), 500):
            rows = await uow.session.execute(
                select(claim_keys.c.claim_ref, claim_keys.c.claim_id, claim_keys.c.body_hash).where(
                    claim_keys.c.provider_id == provider_id,
                    claim_keys.c.claim_ref.in_(ordered[start : start + 500]),
                )
            )
            for row in rows:
                known[(provider_id, row.claim_ref)] = (row.claim_id, row.body_hash)
    return known


def admit(
    uow: UnitOfWork,
    known: KnownKeys,
    lines: Sequence[SubmitClaim],
    now: datetime,
    filed_on: date | None = None,
) -> tuple[list[Accepted], list[dict[str, Any]]]:
    """One request's lines against ``known``: all or none (SPEC §4 idempotency).

    A ``claim_ref`` stored (or repeated in this request) with another body raises
    :class:`ClaimRefConflictError` before anything is emitted or added to ``known``; a
    ref stored with the same body, or repeated with it, is a duplicate; a new line gets
    a claim id, its ``ClaimSubmitted`` event is emitted and its key row returned. Once
    admitted, the request's keys join ``known``, so a later request of the same group
    sees them.
    """
    mine: KnownKeys = {}
    for line in lines:
        key, digest = (line.provider_id, line.claim_ref), body_hash(line)
        stored = known.get(key) or mine.get(key)
        if stored is not None and stored[1] != digest:
            raise ClaimRefConflictError(line.claim_ref, stored[0])
        if stored is None:
            mine[key] = (f"CLM-{uuid7().hex}", digest)  # time-ordered: appends to indexes
    answers: list[Accepted] = []
    new_rows: list[dict[str, Any]] = []
    for line in lines:
        key = (line.provider_id, line.claim_ref)
        if key in known:
            answers.append(Accepted(line.claim_ref, known[key][0], duplicate=True))
            continue
        claim_id, digest = known[key] = mine[key]  # a repeat in this request: a duplicate
        new_rows.append(
            {
                "provider_id": line.provider_id,
                "claim_ref": line.claim_ref,
                "claim_id": claim_id,
                "client_id": line.client_id,
                "body_hash": digest,
                "received_at": now,
            }
        )
        uow.emit(
            CLAIMS_SUBMITTED,
            ClaimSubmitted(
                subject=line.client_id,
                time=now,
                data=ClaimSubmittedData(
                    **line.model_dump(), claim_id=claim_id, submitted_at=now, filed_on=filed_on
                ),
            ),
        )
        answers.append(Accepted(line.claim_ref, claim_id, duplicate=False))
    return answers, new_rows


async def insert_keys(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Store the key rows :func:`admit` returned (one statement)."""
    if rows:
        await uow.session.execute(claim_keys.insert(), rows)


async def find_claim(uow: UnitOfWork, claim_id: str) -> tuple[str, str] | None:
    """``(provider_id, claim_ref)`` of a claim the gateway accepted, if any."""
    row = (
        await uow.session.execute(
            select(claim_keys.c.provider_id, claim_keys.c.claim_ref).where(
                claim_keys.c.claim_id == claim_id
            )
        )
    ).first()
    return (row.provider_id, row.claim_ref) if row else None


async def find_claim_ids(uow: UnitOfWork, provider_id: str, refs: Sequence[str]) -> dict[str, str]:
    """``claim_ref`` → claim id of the provider's lines the gateway accepted under any of
    ``refs`` (its idempotency keys; refs it never accepted are absent)."""
    if not refs:
        return {}
    rows = await uow.session.execute(
        select(claim_keys.c.claim_ref, claim_keys.c.claim_id).where(
            claim_keys.c.provider_id == provider_id,
            claim_keys.c.claim_ref.in_(sorted(set(refs))),
        )
    )
    return {row.claim_ref: row.claim_id for row in rows}


async def check_conflicts(uow: UnitOfWork, lines: Sequence[SubmitClaim]) -> None:
    """Raise :class:`ClaimRefConflictError` if accepting ``lines`` would (a ``claim_ref``
    stored, or repeated among them, with another body), writing nothing: what
    :func:`admit` checks, asked before a replacement voids its earlier claim."""
    known = await stored_keys(uow, lines)
    seen: dict[tuple[str, str], str] = {}
    for line in lines:
        key, digest = (line.provider_id, line.claim_ref), body_hash(line)
        stored = known.get(key)
        if stored is not None and stored[1] != digest:
            raise ClaimRefConflictError(line.claim_ref, stored[0])
        if seen.setdefault(key, digest) != digest:
            raise ClaimRefConflictError(line.claim_ref, "this request")
