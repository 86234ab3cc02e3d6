"""X12 in and out at the gateway: an 837P interchange taken in (999, TA1, 277CA) and a
provider's remittance of an invoice run given out as an 835.

An 837P's claims go through the same intake as ``POST /v1/claims``: each line is a
``SubmitClaim`` with the provider of the token, checked against the active catalog
(service date window, HCPCS code) and accepted by the gateway's intake loop, so the same
line gets the same claim id however it was sent. A claim (CLM) is accepted or rejected
whole: its lines are accepted together, and a line the catalog refuses, or a
``claim_ref`` used before for another line, rejects its claim in the 277CA.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from contracts.api.claims import ClaimAccepted
from contracts.api.x12 import X12Acknowledgement, X12ClaimResult
from contracts.claims import SubmitClaim
from programs.catalog import Catalog
from services.gateway.domain import x12_out
from services.gateway.domain.x12_837 import (
    TRANSACTION_VERSION,
    ClaimIn,
    Envelope,
    Reading,
    read_837,
    read_envelope,
)
from services.gateway.service_layer import frequency
from services.gateway.service_layer.claims import (
    Accepted,
    ClaimRefConflictError,
    procedure_code_errors,
    service_date_errors,
)

log = logging.getLogger(__name__)

AcceptLines = Callable[[list[SubmitClaim]], Awaitable[list[Accepted]]]
"""Accepts one claim's lines in the gateway's intake, their claim frequency applied
(:func:`services.gateway.service_layer.frequency.take_lines`: raises its errors and
ClaimRefConflictError; the lines' errors are located as a batch's)."""

TA1_NOTE_CODES = frozenset(f"{n:03d}" for n in range(1, 32))
"""X12 TA105 interchange note codes (001 to 031); pyx12's ISA/IEA error codes are these."""


def service_resolver(catalog: Catalog) -> Callable[[str, list[str]], str | None]:
    """The catalog service billed under a HCPCS code and modifiers (modifiers in any
    order), when exactly one is; None otherwise (the 837P must then name it in
    ``SV101-7``)."""

    def resolve(code: str, modifiers: list[str]) -> str | None:
        found = [
            name
            for name, service in catalog.services.items()
            if service.hcpcs is not None
            and service.hcpcs.code == code
            and sorted(service.hcpcs.modifiers) == sorted(modifiers)
        ]
        return found[0] if len(found) == 1 else None

    return resolve


@dataclass(frozen=True)
class _Segments:
    """The interchange split into segments (ids and elements), for what pyx12 does not
    report: the group and set ids of a fallback 999, the segment it stopped at."""

    items: list[list[str]]

    @classmethod
    def of(cls, text: str, envelope: Envelope) -> _Segments:
        raw = [s.strip() for s in text.strip().split(envelope.segment_term)]
        return cls([s.split(envelope.element_sep) for s in raw if s])

    def first(self, seg_id: str) -> list[str] | None:
        return next((s for s in self.items if s[0] == seg_id), None)

    def position_in_set(self, index: int) -> int:
        """Position of segment ``index`` counted from its ST (ST is 1)."""
        starts = [i for i, s in enumerate(self.items[: index + 1]) if s[0] == "ST"]
        return index - starts[-1] + 1 if starts else index + 1


def _element(segment: list[str] | None, position: int, default: str) -> str:
    if segment is None or len(segment) <= position or not segment[position]:
        return default
    return segment[position]


def _fallback_999(
    envelope: Envelope,
    segments: _Segments,
    at: int,
    code: str,
    control: int,
    now: datetime,
) -> str:
    """A 999 rejection written by the gateway, IK3 naming segment ``at`` (its index in
    the interchange) with IK304 ``code``."""
    gs, st = segments.first("GS"), segments.first("ST")
    seg_id = segments.items[at][0][:3] if at < len(segments.items) else "SE"
    return x12_out.rejection_999(
        receiver=(envelope.sender_qualifier, envelope.sender_id),
        group=(_element(gs, 1, "HC"), _element(gs, 6, "0"), _element(gs, 8, TRANSACTION_VERSION)),
        transaction=(_element(st, 1, "837"), _element(st, 2, "0001")),
        segment=(seg_id or "ISA", segments.position_in_set(at)),
        segment_code=code,
        control=control,
        now=now,
    )


async def take_837(
    text: str,
    *,
    provider_id: str,
    catalog: Catalog,
    today: date,
    accept: AcceptLines,
    control: int,
    now: datetime,
) -> X12Acknowledgement:
    """Acknowledge an 837P interchange and take in the claims of the transaction sets
    the 999 accepts (see the module docstring). Raises ``NotX12Error`` when the body is
    no interchange (no ISA): there is nothing to acknowledge in X12."""
    envelope = read_envelope(text)
    segments = _Segments.of(text, envelope)
    gs = segments.first("GS")
    if gs is None:
        at = next((i for i, s in enumerate(segments.items) if s[0] != "ISA"), 1)
        return _rejected(_fallback_999(envelope, segments, at, "3", control, now))
    if _element(gs, 1, "") != "HC" or _element(gs, 8, "") != TRANSACTION_VERSION:
        # Another transaction or version than the 837P this gateway reads.
        at = segments.items.index(gs)
        return _rejected(_fallback_999(envelope, segments, at, "8", control, now))
    try:
        reading = read_837(text, service_resolver(catalog))
    except Exception:
        log.warning("pyx12 could not read an 837P interchange; rejected with a 999")
        at = _first_unreadable(segments)
        return _rejected(_fallback_999(envelope, segments, at, "8", control, now))
    if reading.interchange_errors:
        note = reading.interchange_errors[0][0]
        ta1 = x12_out.ta1_rejection(
            receiver=(envelope.sender_qualifier, envelope.sender_id),
            their_control=envelope.control_number,
            their_date=_element(segments.first("ISA"), 9, "000000"),
            their_time=_element(segments.first("ISA"), 10, "0000"),
            note_code=note if note in TA1_NOTE_CODES else "024",
            control=control,
            now=now,
        )
        return X12Acknowledgement(accepted=False, ack999=reading.ack999, ta1=ta1)
    results = [
        await _take_claim(claim, provider_id, catalog, today, accept) for claim in reading.claims
    ]
    ack277 = _ack_277ca(reading, results, control, now) if reading.claims else None
    return X12Acknowledgement(
        accepted=reading.accepted,
        ack999=reading.ack999,
        ack277ca=ack277,
        claims=[result for _, result in results],
    )


def _rejected(ack999: str) -> X12Acknowledgement:
    return X12Acknowledgement(accepted=False, ack999=ack999)


def _first_unreadable(segments: _Segments) -> int:
    """Where pyx12 most likely stopped: the first segment whose id is not two or three
    letters and digits (else the first after the GS)."""
    for index, seg in enumerate(segments.items):
        seg_id = seg[0]
        if not (2 <= len(seg_id) <= 3 and seg_id.isalnum() and seg_id.isupper()):
            return index
    return min(2, len(segments.items) - 1)


async def _take_claim(
    claim: ClaimIn, provider_id: str, catalog: Catalog, today: date, accept: AcceptLines
) -> tuple[ClaimIn, X12ClaimResult]:
    """One claim's lines through the catalog checks and the intake; its result."""
    lines = [line.model_copy(update={"provider_id": provider_id}) for line in claim.lines]
    if claim.error is None:
        errors = service_date_errors(lines, catalog, today, batch=True)
        errors += procedure_code_errors(lines, catalog, batch=True)
        if errors:
            index, name = errors[0]["loc"][2], errors[0]["loc"][3]
            element = {"service_date": "DTP*472", "service_date_to": "DTP*472 RD8"}.get(
                name, "SV101-2"
            )
            claim.reject(f"line {index + 1}: {name} ({element}) {errors[0]['msg']}")
    if claim.error is None:
        try:
            answers = await accept(lines)
        except ClaimRefConflictError as exc:
            claim.reject(f"claim_ref (REF*6R / CLM01) {exc}")
        except frequency.UnknownEarlierClaimError as exc:
            index, message = exc.errors[0]["loc"][2], exc.errors[0]["msg"]
            claim.reject(f"line {index + 1}: replaces_claim_ref (REF*F8) {message}")
        except frequency.EarlierClaimPendingError as exc:
            claim.reject(f"replaces_claim_ref (REF*F8) {exc}")
        except frequency.VoidRefusedError:
            claim.reject("replaces_claim_ref (REF*F8) the earlier claim could not be voided")
        else:
            accepted = [
                ClaimAccepted(
                    claim_ref=a.claim_ref,
                    claim_id=a.claim_id,
                    duplicate=a.duplicate,
                    status="voided" if a.status == "voided" else "received",
                    voided_claim_id=a.voided_claim_id,
                )
                for a in answers
            ]
            return claim, X12ClaimResult(
                patient_control_number=claim.patient_control_number,
                status="accepted",
                lines=accepted,
            )
    return claim, X12ClaimResult(
        patient_control_number=claim.patient_control_number,
        status="rejected",
        reason=claim.error,
    )


def _ack_277ca(
    reading: Reading,
    results: Sequence[tuple[ClaimIn, X12ClaimResult]],
    control: int,
    now: datetime,
) -> str:
    statuses = [
        x12_out.ClaimStatus277(
            patient_control_number=claim.patient_control_number,
            charge=claim.charge,
            billing_npi=claim.billing_npi,
            billing_name=claim.billing_name,
            member_id=claim.member_id,
            patient_last=claim.patient_last,
            patient_first=claim.patient_first,
            service_dates=claim.service_dates,
            claim_ids=[line.claim_id for line in result.lines],
            rejection=result.reason if result.status == "rejected" else None,
        )
        for claim, result in results
    ]
    envelope = reading.envelope
    return x12_out.ack_277ca(
        receiver=(envelope.sender_qualifier, envelope.sender_id),
        submitter_name=reading.submitter_name,
        submitter_id=reading.submitter_id or envelope.sender_id,
        batch_ref=reading.batch_ref,
        claims=statuses,
        control=control + 1,
        now=now,
    )
