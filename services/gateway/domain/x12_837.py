"""Reading an X12 837P interchange (005010X222A1) into claim lines, validated by pyx12.

pyx12 checks the interchange against the 837P implementation guide's map and writes the
999 implementation acknowledgement (IK3 names each segment in error, IK5/AK9 accept or
reject each transaction set and group). Its error summary says which transaction sets
and groups were accepted; only their claims are read. Errors of the interchange
envelope itself (ISA/IEA: an IEA count or control number that does not match) are not
the 999's to report: they come back as a TA1 interchange acknowledgement in the same
answer, and then no claim of the interchange is taken.

Where the platform's claim fields travel in the 837P (what an EHR must send):

==========================  =========================================================
``SubmitClaim`` field       837P element
==========================  =========================================================
``claim_ref``               2400 ``REF*6R`` (line item control number); without one,
                            2300 ``CLM01`` (patient control number) for a claim of
                            one service line, else ``CLM01`` + ``-`` + ``LX01``
``provider_id``             not in the file: the provider the bearer token acts for
``client_id``               2010BA ``NM1*IL`` NM109 (subscriber member id, ``MI``)
``voucher_id``              2300 ``REF*G1`` (prior authorization); a 2400 ``REF*G1``
                            overrides it for its line
``staff_id``                ``REF*G2`` of the rendering provider (2420A for the line,
                            else 2310B); without one, the rendering NPI
``rendering_npi``           2420A, else 2310B ``NM1*82`` NM109 (``XX``)
``billing_npi``             2010AA ``NM1*85`` NM109 (``XX``)
``procedure_code``          ``SV101-2`` (``HC`` qualifier)
``modifiers``               ``SV101-3`` to ``SV101-6``
``service_code``            ``SV101-7`` (procedure description) when given; else the
                            one catalog service billed under that code and modifiers
``units``                   ``SV104`` (``UN``; a whole number)
``service_date``            2400 ``DTP*472`` (``D8``, or the first day of ``RD8``)
``service_date_to``         the last day of a ``RD8`` range of several days (a per-diem
                            stay on one line, one unit a day)
``diagnosis_codes``         2300 ``HI`` (``ABK``/``ABF``, the dot restored: F1120 →
                            F11.20)
``place_of_service``        ``SV105``, else 2300 ``CLM05-1``
``client_signature``        2300 ``CLM09`` (release of information): ``Y`` (a signed
                            statement on file) true, ``I`` false
``face_to_face``            true, unless the place of service is telehealth (``02``,
                            ``10``) or a modifier says so (``95``, ``GT``, ``GQ``, ``93``)
``frequency``               2300 ``CLM05-3`` claim frequency code: ``1`` (or none)
                            original, ``7`` replacement, ``8`` void
                            (``contracts.x12_codes.CLAIM_FREQUENCY_CODES``)
``replaces_claim_ref``      2300 ``REF*F8`` (payer claim control number) of a
                            replacement or void: the earlier claim's ``CLM01`` (the
                            earlier claim's line refs are derived from it as
                            ``claim_ref`` above: ``REF*F8`` itself for a claim of one
                            line, else ``REF*F8`` + ``-`` + ``LX01``)
==========================  =========================================================

A replacement (``CLM05-3`` ``7``) is a new claim: its ``CLM01`` (or the lines'
``REF*6R``) must differ from the ``REF*F8`` it replaces, else the claim is rejected
naming ``REF*F8``. A void (``8``) takes back the earlier claim and submits nothing new,
so it may repeat the earlier ``CLM01``.

An 837P carries no time of day for a professional service: a service whose
documentation needs start and end times cannot be documented in X12 (its lines are
denied ``DOCUMENTATION_MISSING``; send them as JSON).

A claim (CLM) whose lines cannot all be made is rejected whole in the 277CA, with the
field and element at fault; the others are taken.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document
from pydantic import ValidationError

from contracts.claims import ClaimFrequency, SubmitClaim
from contracts.x12_codes import CLAIM_FREQUENCY_CODES

TRANSACTION_VERSION = "005010X222A1"
"""The one 837 implementation guide this gateway reads (GS08 / ST03)."""

TELEHEALTH_PLACES = frozenset({"02", "10"})
"""CMS places of service of telehealth (the client was not in the room)."""

TELEHEALTH_MODIFIERS = frozenset({"95", "GT", "GQ", "93"})
"""Procedure modifiers of synchronous or asynchronous telehealth and audio-only care."""

ACCEPTED_CODES = frozenset({"A", "E"})
"""999 IK501 / AK901 codes under which a transaction set's claims are taken: accepted,
or accepted with errors noted."""

_pyx12_log = logging.getLogger("pyx12")
_pyx12_log.addHandler(logging.NullHandler())
_pyx12_log.propagate = False  # its messages quote segments (names, member ids)


class NotX12Error(Exception):
    """The body is not an X12 interchange at all (no readable ISA segment)."""


@dataclass(frozen=True)
class Envelope:
    """What the answer's envelopes need of the received interchange."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    usage: str
    element_sep: str
    component_sep: str
    segment_term: str


@dataclass
class ClaimIn:
    """One 837P claim (CLM) and the lines it becomes, or why it cannot become any."""

    st_control: str
    patient_control_number: str
    charge: str
    billing_npi: str | None
    billing_name: str
    member_id: str | None
    patient_last: str
    patient_first: str
    service_dates: list[date] = field(default_factory=list)
    lines: list[SubmitClaim] = field(default_factory=list)
    line_charges: list[str] = field(default_factory=list)
    procedures: list[str] = field(default_factory=list)
    error: str | None = None

    def reject(self, why: str) -> None:
        """Mark the claim rejected (the first reason is kept)."""
        if self.error is None:
            self.error = why


@dataclass
class Reading:
    """An 837P interchange as read: pyx12's 999, the interchange errors (for a TA1), the
    envelope, the submitter and the claims of accepted transaction sets."""

    ack999: str
    envelope: Envelope
    interchange_errors: list[tuple[str, str]]
    group_codes: dict[str, str]
    transaction_codes: dict[str, str]
    submitter_name: str = ""
    submitter_id: str = ""
    batch_ref: str = ""
    claims: list[ClaimIn] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """The interchange is sound and at least one transaction set was accepted."""
        return not self.interchange_errors and any(
            code in ACCEPTED_CODES for code in self.transaction_codes.values()
        )


def read_envelope(text: str) -> Envelope:
    """The ISA segment's fields and the separators it declares (X12.5: ISA is fixed
    width, 106 characters; the element separator is its 4th character, the component
    separator its 105th and the segment terminator its 106th)."""
    body = text.lstrip()
    if len(body) < 106 or not body.startswith("ISA"):
        raise NotX12Error("the body does not start with an ISA segment")
    element_sep, component_sep, segment_term = body[3], body[104], body[105]
    if element_sep.isalnum() or segment_term.isalnum() or element_sep == segment_term:
        raise NotX12Error("the ISA segment's separators are not readable")
    isa = body[:105].split(element_sep)
    if len(isa) != 17:
        raise NotX12Error("the ISA segment does not have 16 elements")
    return Envelope(
        sender_qualifier=isa[5],
        sender_id=isa[6].strip(),
        receiver_qualifier=isa[7],
        receiver_id=isa[8].strip(),
        control_number=isa[13],
        usage=isa[15],
        element_sep=element_sep,
        component_sep=component_sep,
        segment_term=segment_term,
    )


def read_837(text: str, resolve_service: Callable[[str, list[str]], str | None]) -> Reading:
    """Validate ``text`` with pyx12 (its 999) and read the claims of every transaction
    set it accepted. ``resolve_service(hcpcs, modifiers)`` names the catalog service a
    line without ``SV101-7`` is billed under (None: none or more than one).

    Raises :class:`NotX12Error` when there is no interchange to acknowledge, and
    :class:`pyx12.errors.X12Error` / ``EngineError`` when pyx12 cannot read it (the
    caller answers those with its own 999 rejection)."""
    envelope = read_envelope(text)
    segments: list[tuple[str, Any]] = []

    def collect(seg: Any, _src: Any, node: Any, _valid: Any) -> None:
        parent = node.get_parent() if node is not None else None
        segments.append((getattr(parent, "id", "") or "", seg))

    ack, errors = io.StringIO(), io.StringIO()
    pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), ack, None, None, errors, callback=collect
    )
    summary = json.loads(errors.getvalue() or "{}")
    reading = Reading(
        ack999=ack.getvalue(),
        envelope=envelope,
        interchange_errors=[],
        group_codes={},
        transaction_codes={},
    )
    for interchange in summary.get("interchanges", []):
        reading.interchange_errors += [(e["err_cde"], e["err_str"]) for e in interchange["errors"]]
        for group in interchange.get("groups", []):
            reading.group_codes[group["gs_control_num"]] = group.get("ack_code") or "R"
            for transaction in group.get("transactions", []):
                code = transaction.get("ack_code") or "R"
                if group.get("ack_code") not in ACCEPTED_CODES:
                    code = "R"
                if transaction.get("trn_set_id") != "837":
                    code = "R"
                reading.transaction_codes[transaction["trn_set_control_num"]] = code
    if not reading.ack999:
        raise pyx12.errors.X12Error("pyx12 wrote no 999 for this interchange")
    _read_claims(reading, segments, resolve_service)
    return reading


@dataclass
class _Line:
    """A 2400 service line while it is read."""

    number: str
    sv1: Any
    dates: tuple[str, str] | None = None
    control: str | None = None
    voucher: str | None = None
    rendering_npi: str | None = None
    staff: str | None = None


@dataclass
class _Claim:
    """A 2300 claim while it is read."""

    claim: ClaimIn
    clm: Any
    voucher: str | None = None
    earlier_ref: str | None = None
    diagnoses: list[str] = field(default_factory=list)
    rendering_npi: str | None = None
    staff: str | None = None
    lines: list[_Line] = field(default_factory=list)


def _value(seg: Any, ref: str) -> str:
    found = seg.get_value(ref)
    return str(found).strip() if found else ""


def _read_claims(
    reading: Reading,
    segments: list[tuple[str, Any]],
    resolve_service: Callable[[str, list[str]], str | None],
) -> None:
    """Walk the segments (with their 837P loop ids) of accepted transaction sets and
    build each claim's lines."""
    st_control = ""
    billing_npi: str | None = None
    billing_name = ""
    member_id: str | None = None
    patient = ("", "")
    current: _Claim | None = None
    pending: list[_Claim] = []
    for loop, seg in segments:
        seg_id = seg.get_seg_id()
        if seg_id == "ST":
            st_control = _value(seg, "ST02")
            continue
        if reading.transaction_codes.get(st_control) not in ACCEPTED_CODES:
            continue
        if seg_id == "BHT":
            reading.batch_ref = _value(seg, "BHT03")
        elif seg_id == "NM1" and loop == "1000A":
            reading.submitter_name = _value(seg, "NM103")
            reading.submitter_id = _value(seg, "NM109")
        elif seg_id == "HL" and _value(seg, "HL03") == "20":
            billing_npi, billing_name, member_id, current = None, "", None, None
        elif seg_id == "HL" and _value(seg, "HL03") in ("22", "23"):
            current = None
        elif seg_id == "NM1" and loop == "2010AA":
            billing_name = _value(seg, "NM103")
            billing_npi = _value(seg, "NM109") if _value(seg, "NM108") == "XX" else None
        elif seg_id == "NM1" and loop == "2010BA":
            member_id = _value(seg, "NM109") or None
            patient = (_value(seg, "NM103"), _value(seg, "NM104"))
        elif seg_id == "NM1" and loop == "2010CA":
            patient = (_value(seg, "NM103"), _value(seg, "NM104"))
        elif seg_id == "CLM":
            current = _Claim(
                ClaimIn(
                    st_control=st_control,
                    patient_control_number=_value(seg, "CLM01"),
                    charge=_value(seg, "CLM02") or "0",
                    billing_npi=billing_npi,
                    billing_name=billing_name,
                    member_id=member_id,
                    patient_last=patient[0],
                    patient_first=patient[1],
                ),
                seg,
            )
            pending.append(current)
        elif current is not None:
            _read_claim_segment(current, loop, seg_id, seg)
    for claim in pending:
        reading.claims.append(_finish(claim, resolve_service))


def _read_claim_segment(current: _Claim, loop: str, seg_id: str, seg: Any) -> None:
    line = current.lines[-1] if current.lines else None
    if seg_id == "REF" and loop == "2300" and _value(seg, "REF01") == "G1":
        current.voucher = _value(seg, "REF02")
    elif seg_id == "REF" and loop == "2300" and _value(seg, "REF01") == "F8":
        current.earlier_ref = _value(seg, "REF02") or None
    elif seg_id == "HI" and loop == "2300":
        for index in range(1, 13):
            qualifier = _value(seg, f"HI{index:02d}-1")
            code = _value(seg, f"HI{index:02d}-2")
            if qualifier in ("ABK", "ABF") and code:
                current.diagnoses.append(_icd10_with_dot(code))
    elif seg_id == "NM1" and loop == "2310B":
        current.rendering_npi = _value(seg, "NM109") if _value(seg, "NM108") == "XX" else None
    elif seg_id == "REF" and loop == "2310B" and _value(seg, "REF01") == "G2":
        current.staff = _value(seg, "REF02")
    elif seg_id == "LX":
        current.lines.append(_Line(number=_value(seg, "LX01"), sv1=None))
    elif line is None:
        return
    elif seg_id == "SV1":
        line.sv1 = seg
    elif seg_id == "DTP" and loop == "2400" and _value(seg, "DTP01") == "472":
        period = _value(seg, "DTP03")
        if _value(seg, "DTP02") == "RD8" and "-" in period:
            first, last = period.split("-", 1)
            line.dates = (first, last)
        else:
            line.dates = (period, period)
    elif seg_id == "REF" and loop == "2400" and _value(seg, "REF01") == "6R":
        line.control = _value(seg, "REF02")
    elif seg_id == "REF" and loop == "2400" and _value(seg, "REF01") == "G1":
        line.voucher = _value(seg, "REF02")
    elif seg_id == "NM1" and loop == "2420A":
        line.rendering_npi = _value(seg, "NM109") if _value(seg, "NM108") == "XX" else None
    elif seg_id == "REF" and loop == "2420A" and _value(seg, "REF01") == "G2":
        line.staff = _value(seg, "REF02")


def _icd10_with_dot(code: str) -> str:
    """An ICD-10-CM code as X12 sends it (no dot) in the form ``SubmitClaim`` takes."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def _x12_date(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date


_FIELD_ELEMENTS: Mapping[str, str] = {
    "claim_ref": "REF*6R / CLM01",
    "client_id": "NM1*IL NM109",
    "voucher_id": "REF*G1",
    "staff_id": "REF*G2",
    "service_code": "SV101-7",
    "service_date": "DTP*472",
    "service_date_to": "DTP*472 RD8",
    "units": "SV104",
    "rendering_npi": "NM1*82 NM109",
    "billing_npi": "NM1*85 NM109",
    "procedure_code": "SV101-2",
    "modifiers": "SV101-3..6",
    "diagnosis_codes": "HI",
    "place_of_service": "SV105 / CLM05-1",
    "frequency": "CLM05-3",
    "replaces_claim_ref": "REF*F8",
}
"""Where each field comes from, to name the element in a rejection."""


def _finish(current: _Claim, resolve_service: Callable[[str, list[str]], str | None]) -> ClaimIn:
    """Make the claim's lines (validated as ``SubmitClaim``), or reject it naming the
    field and its element."""
    claim = current.claim
    many = len(current.lines) > 1
    for line in current.lines:
        built = _line(current, line, many, resolve_service)
        if isinstance(built, str):
            claim.reject(built)
            continue
        claim.lines.append(built)
        claim.line_charges.append(_value(line.sv1, "SV102") or "0")
        claim.procedures.append(_value(line.sv1, "SV101-2"))
        claim.service_dates.append(built.service_date)
    if not current.lines:
        claim.reject("the claim has no service line (LX/SV1)")
    if claim.error is not None:
        claim.lines, claim.line_charges, claim.procedures = [], [], []
    return claim


def _line(
    current: _Claim,
    line: _Line,
    many: bool,
    resolve_service: Callable[[str, list[str]], str | None],
) -> SubmitClaim | str:
    """One service line as ``SubmitClaim`` (provider id left for the gateway to set),
    or why it cannot be one."""
    sv1 = line.sv1
    where = f"line {line.number}"
    if sv1 is None:
        return f"{where}: SV1 is missing"
    if _value(sv1, "SV101-1") != "HC":
        return f"{where}: SV101-1 must be HC (a HCPCS code)"
    procedure = _value(sv1, "SV101-2")
    modifiers = [m for m in (_value(sv1, f"SV101-{i}") for i in range(3, 7)) if m]
    service = _value(sv1, "SV101-7") or resolve_service(procedure, modifiers)
    if not service:
        return (
            f"{where}: SV101-7 must name the service code (no single catalog service is "
            f"billed under {procedure} with modifiers {modifiers or 'none'})"
        )
    units_text = _value(sv1, "SV104")
    try:
        units_number = float(units_text)
    except ValueError:
        return f"{where}: SV104 (units) must be a number"
    if units_number != int(units_number):
        return f"{where}: SV104 (units) must be a whole number"
    if line.dates is None:
        return f"{where}: DTP*472 (service date) is missing"
    try:
        first, last = _x12_date(line.dates[0]), _x12_date(line.dates[1])
    except ValueError:
        return f"{where}: DTP*472 must be a date CCYYMMDD"
    rendering = line.rendering_npi or current.rendering_npi
    place = _value(sv1, "SV105") or _value(current.clm, "CLM05-1") or None
    release = _value(current.clm, "CLM09")
    if line.control:
        claim_ref = line.control
    elif many:
        claim_ref = f"{current.claim.patient_control_number}-{line.number}"
    else:
        claim_ref = current.claim.patient_control_number
    frequency_code = _value(current.clm, "CLM05-3") or "1"
    frequency = CLAIM_FREQUENCY_CODES.get(frequency_code)
    if frequency is None:
        return (
            f"{where}: frequency (CLM05-3) claim frequency code {frequency_code} is not "
            "1 (original), 7 (replacement) or 8 (void)"
        )
    earlier_ref = current.earlier_ref
    if frequency is not ClaimFrequency.ORIGINAL and earlier_ref is not None and many:
        earlier_ref = f"{earlier_ref}-{line.number}"
    body: dict[str, Any] = {
        "claim_ref": claim_ref,
        "provider_id": "PENDING",
        "client_id": current.claim.member_id,
        "voucher_id": line.voucher or current.voucher,
        "service_code": service,
        "service_date": first,
        "service_date_to": last if last != first else None,
        "units": int(units_number),
        "staff_id": line.staff or current.staff or rendering,
        "rendering_npi": rendering,
        "billing_npi": current.claim.billing_npi,
        "procedure_code": procedure,
        "modifiers": modifiers or None,
        "diagnosis_codes": current.diagnoses or None,
        "place_of_service": place,
        "client_signature": {"Y": True, "I": False}.get(release),
        "face_to_face": place not in TELEHEALTH_PLACES
        and not TELEHEALTH_MODIFIERS.intersection(modifiers),
        "frequency": frequency,
        "replaces_claim_ref": earlier_ref if frequency is not ClaimFrequency.ORIGINAL else None,
    }
    try:
        return SubmitClaim.model_validate(body)
    except ValidationError as exc:
        first_error = exc.errors()[0]
        name = str(first_error["loc"][0]) if first_error["loc"] else "line"
        element = _FIELD_ELEMENTS.get(name, name)
        return f"{where}: {name} ({element}) {first_error['msg']}"
