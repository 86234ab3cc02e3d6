"""Writing the gateway's X12 answers: the 999 rejection pyx12 cannot write, the TA1
interchange acknowledgement, the 277CA claim acknowledgement (005010X214) and the 835
remittance advice (005010X221A1).

Everything here is plain text building: the segment terminator ``~``, element
separator ``*``, component separator ``:`` and repetition separator ``^``. The tests
validate each document with pyx12 against its implementation guide's map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from contracts.api.payments import Remittance, RemittanceLine
from contracts.x12_codes import GROUP_CODE, HOLDBACK_CARC, UNEXPLAINED_CARC, x12_reason

GATEWAY_QUALIFIER = "ZZ"
GATEWAY_ID = "ATRGATEWAY"
"""The gateway's interchange id (ISA06 of what it sends, ISA08 it expects)."""

PAYER_NAME = "ATR VOUCHER PROGRAM"
PAYER_ID = "ATR"

ACK_999_VERSION = "005010X231A1"
ACK_277CA_VERSION = "005010X214"
REMITTANCE_VERSION = "005010X221A1"


def _isa_id(value: str) -> str:
    return value[:15].ljust(15)


def _amount(value: Decimal) -> str:
    """An X12 R (decimal) amount: no trailing zeros beyond what is needed."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class Interchange:
    """Segments of one interchange being written (ISA … IEA), one group, its sets."""

    sender: tuple[str, str]
    receiver: tuple[str, str]
    control: int
    now: datetime
    usage: str = "P"
    segments: list[str] = field(default_factory=list)
    _set_start: int = 0
    _sets: int = 0

    def seg(self, *elements: str) -> None:
        """Append one segment, trailing empty elements dropped."""
        parts = list(elements)
        while parts and parts[-1] == "":
            parts.pop()
        self.segments.append("*".join(parts))

    def open(self, functional_id: str, version: str) -> None:
        """ISA and GS."""
        stamp = self.now
        self.seg(
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            self.sender[0],
            _isa_id(self.sender[1]),
            self.receiver[0],
            _isa_id(self.receiver[1]),
            stamp.strftime("%y%m%d"),
            stamp.strftime("%H%M"),
            "^",
            "00501",
            f"{self.control:09d}",
            "0",
            self.usage,
            ":",
        )
        self.seg(
            "GS",
            functional_id,
            self.sender[1],
            self.receiver[1],
            stamp.strftime("%Y%m%d"),
            stamp.strftime("%H%M"),
            str(self.control),
            "X",
            version,
        )

    def start_set(self, set_id: str, version: str = "") -> None:
        """ST of the next transaction set (ST03 the guide's version, when it is used)."""
        self._sets += 1
        self._set_start = len(self.segments)
        self.seg("ST", set_id, f"{self._sets:04d}", version)

    def end_set(self) -> None:
        """SE with the set's segment count (ST to SE)."""
        count = len(self.segments) - self._set_start + 1
        self.seg("SE", str(count), f"{self._sets:04d}")

    def text(self) -> str:
        """GE and IEA added; the interchange, one segment a line."""
        self.seg("GE", str(self._sets), str(self.control))
        self.seg("IEA", "1", f"{self.control:09d}")
        return "~\n".join(self.segments) + "~\n"


def ta1_rejection(
    *,
    receiver: tuple[str, str],
    their_control: str,
    their_date: str,
    their_time: str,
    note_code: str,
    control: int,
    now: datetime,
) -> str:
    """A TA1-only interchange rejecting the received one (X12.56 interchange
    acknowledgement: TA104 ``R``, TA105 the note code, e.g. ``021`` invalid number of
    included groups)."""
    segments = [
        "*".join(
            [
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                GATEWAY_QUALIFIER,
                _isa_id(GATEWAY_ID),
                receiver[0],
                _isa_id(receiver[1]),
                now.strftime("%y%m%d"),
                now.strftime("%H%M"),
                "^",
                "00501",
                f"{control:09d}",
                "0",
                "P",
                ":",
            ]
        ),
        f"TA1*{their_control}*{their_date}*{their_time}*R*{note_code}",
        f"IEA*0*{control:09d}",
    ]
    return "~\n".join(segments) + "~\n"


def rejection_999(
    *,
    receiver: tuple[str, str],
    group: tuple[str, str, str],
    transaction: tuple[str, str],
    segment: tuple[str, int],
    segment_code: str,
    control: int,
    now: datetime,
) -> str:
    """A 999 rejecting the one transaction set of a group, IK3 naming the segment at
    fault (``segment``: its id and position in the set; ``segment_code`` IK304, e.g.
    ``1`` unrecognized, ``2`` unexpected, ``8`` with data element errors). For what
    pyx12 cannot acknowledge itself (an 837 of another version, a segment it cannot
    read). ``group``: GS01, GS06, GS08 received; ``transaction``: ST01, ST02."""
    out = Interchange((GATEWAY_QUALIFIER, GATEWAY_ID), receiver, control, now)
    out.open("FA", ACK_999_VERSION)
    out.start_set("999", ACK_999_VERSION)
    out.seg("AK1", *group)
    out.seg("AK2", *transaction)
    out.seg("IK3", segment[0], str(max(segment[1], 1)), "", segment_code)
    out.seg("IK5", "R", "5")
    out.seg("AK9", "R", "1", "1", "0")
    out.end_set()
    return out.text()


@dataclass(frozen=True)
class ClaimStatus277:
    """One claim's line of the 277CA: accepted (with the platform's claim ids) or
    rejected (with why)."""

    patient_control_number: str
    charge: str
    billing_npi: str | None
    billing_name: str
    member_id: str | None
    patient_last: str
    patient_first: str
    service_dates: Sequence[date]
    claim_ids: Sequence[str]
    rejection: str | None


def ack_277ca(
    *,
    receiver: tuple[str, str],
    submitter_name: str,
    submitter_id: str,
    batch_ref: str,
    claims: Sequence[ClaimStatus277],
    control: int,
    now: datetime,
) -> str:
    """The 277CA (005010X214) acknowledging each claim of an 837P.

    Per claim (2200D): ``TRN*2`` its patient control number, ``STC`` ``A2:20``
    accepted into adjudication (action ``WQ``) or ``A7:21`` rejected for missing or
    invalid information (action ``U``, STC12 saying which element), ``REF*1K`` the
    platform's claim id (of the first line; each line's is in the JSON answer) and the
    service date. Totals of accepted and rejected claims for the receiver (2200B) and
    each billing provider (2200C)."""
    out = Interchange((GATEWAY_QUALIFIER, GATEWAY_ID), receiver, control, now)
    out.open("HN", ACK_277CA_VERSION)
    out.start_set("277", ACK_277CA_VERSION)
    today = now.strftime("%Y%m%d")
    out.seg("BHT", "0085", "08", batch_ref or "0", today, now.strftime("%H%M"), "TH")
    out.seg("HL", "1", "", "20", "1")
    out.seg("NM1", "PR", "2", PAYER_NAME, "", "", "", "", "PI", PAYER_ID)
    out.seg("TRN", "1", batch_ref or "0")
    out.seg("DTP", "050", "D8", today)
    out.seg("DTP", "009", "D8", today)
    out.seg("HL", "2", "1", "21", "1")
    out.seg("NM1", "41", "2", submitter_name or "SUBMITTER", "", "", "", "", "46", submitter_id)
    out.seg("TRN", "2", batch_ref or "0")
    _totals(out, claims, today, ("90", "AA"))
    hl = 2
    by_provider: dict[tuple[str | None, str], list[ClaimStatus277]] = {}
    for claim in claims:
        by_provider.setdefault((claim.billing_npi, claim.billing_name), []).append(claim)
    for (npi, name), provider_claims in by_provider.items():
        hl += 1
        provider_hl = hl
        out.seg("HL", str(provider_hl), "2", "19", "1")
        out.seg("NM1", "85", "2", name or "PROVIDER", "", "", "", "", "XX", npi or "0000000000")
        out.seg("TRN", "1", "0")
        _totals(out, provider_claims, "", ("QA", "QC"))
        for claim in provider_claims:
            hl += 1
            out.seg("HL", str(hl), str(provider_hl), "PT")
            out.seg(
                "NM1",
                "QC",
                "1",
                claim.patient_last or "UNKNOWN",
                claim.patient_first,
                "",
                "",
                "",
                "MI" if claim.member_id else "",
                claim.member_id or "",
            )
            out.seg("TRN", "2", claim.patient_control_number)
            if claim.rejection is None:
                out.seg("STC", "A2:20", today, "WQ", claim.charge)
            else:
                message = claim.rejection.replace("*", " ").replace("~", " ").replace(":", " ")
                out.seg(
                    "STC",
                    "A7:21",
                    today,
                    "U",
                    claim.charge,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    message[:264],
                )
            if claim.claim_ids:
                out.seg("REF", "1K", claim.claim_ids[0])
            dates = sorted(claim.service_dates)
            if not dates:
                out.seg("DTP", "472", "D8", today)
            elif dates[0] == dates[-1]:
                out.seg("DTP", "472", "D8", dates[0].strftime("%Y%m%d"))
            else:
                span = f"{dates[0]:%Y%m%d}-{dates[-1]:%Y%m%d}"
                out.seg("DTP", "472", "RD8", span)
    out.end_set()
    return out.text()


def _totals(
    out: Interchange, claims: Sequence[ClaimStatus277], day: str, qualifiers: tuple[str, str]
) -> None:
    """STC (receipt acknowledged, with the submitted total), then the counts and amounts
    accepted and rejected (2200B: QTY 90/AA and STC02 the date; 2200C: QTY QA/QC and
    no date)."""
    accepted = [c for c in claims if c.rejection is None]
    rejected = [c for c in claims if c.rejection is not None]
    submitted = _amount(sum((Decimal(c.charge) for c in claims), Decimal(0)))
    out.seg("STC", "A1:19", day, "WQ" if accepted else "U", submitted)
    if accepted:
        out.seg("QTY", qualifiers[0], str(len(accepted)))
    if rejected:
        out.seg("QTY", qualifiers[1], str(len(rejected)))
    if accepted:
        out.seg("AMT", "YU", _amount(sum((Decimal(c.charge) for c in accepted), Decimal(0))))
    if rejected:
        out.seg("AMT", "YY", _amount(sum((Decimal(c.charge) for c in rejected), Decimal(0))))


@dataclass(frozen=True)
class LineDetail:
    """What the 835 needs of a remittance line beyond the statement: the EHR's
    reference and, from the decision, the billed amount, units, HCPCS and reasons."""

    claim_ref: str
    billed_units: int | None = None
    allowed_units: int | None = None
    denied_amount: Decimal = Decimal("0.00")
    reasons: Sequence[str] = ()
    procedure_code: str | None = None
    service_date_to: date | None = None


def remittance_835(
    statement: Remittance,
    details: dict[str, LineDetail],
    *,
    control: int,
    now: datetime,
) -> str:
    """The 835 (005010X221A1) of a provider's statement of one invoice run.

    One CLP per line: CLP01 the EHR's claim reference, CLP03 the billed amount (the
    adjudicated amount and what was denied), CLP04 what the run pays now; CAS explains
    the difference: the denied part under the CARC of the line's first reason (the
    other reasons' CARCs with 0), the holdback under CARC 104, an unfunded line under
    its funding reason's CARC (all group ``CO``; ``contracts/x12_codes.py``); a
    reason's RARC in LQ*HE. Released holdbacks and incentive awards are PLB
    adjustments paid (negative), corrections of earlier runs PLB ``WO`` recoveries;
    BPR02 = the CLP04 sum - the PLB sum = the statement's total. A voided line is CLP02
    ``22`` (reversal of previous payment). A date-range line (a per-diem stay,
    ``service_date_to``) gives its period: claim ``DTM*232``/``DTM*233`` and service
    ``DTM*150``/``DTM*151`` (the 835's service period start and end, where a one-day
    line has ``DTM*472``)."""
    payee = (GATEWAY_QUALIFIER, statement.provider_id)
    out = Interchange((GATEWAY_QUALIFIER, GATEWAY_ID), payee, control, now)
    out.open("HP", REMITTANCE_VERSION)
    out.start_set("835")
    total = statement.total
    paid_on = (statement.cutoff if total else now.date()).strftime("%Y%m%d")
    if total > 0:
        out.seg(
            "BPR",
            "I",
            _amount(total),
            "C",
            "NON",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            paid_on,
        )
    else:
        out.seg(
            "BPR",
            "H",
            _amount(total),
            "C",
            "NON",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            paid_on,
        )
    trace = statement.invoice_id or f"{statement.period}-{statement.provider_id}"
    out.seg("TRN", "1", trace[:50], "1" + PAYER_ID.ljust(9, "0")[:9])
    out.seg("REF", "EV", statement.provider_id[:50])
    out.seg("DTM", "405", now.strftime("%Y%m%d"))
    out.seg("N1", "PR", PAYER_NAME)
    out.seg("N3", "ADMINISTRATIVE AGENCY")
    out.seg("N4", "JEFFERSON CITY", "MO", "65101")
    out.seg("PER", "BL", "PROVIDER SERVICES", "EM", "atr@example.org")
    # The platform holds neither a tax id nor an NPI of a provider: the payee is named
    # by its provider id (N104, and REF*PQ payee identification).
    out.seg("N1", "PE", statement.provider_id[:60], "FI", statement.provider_id[:80])
    out.seg("REF", "PQ", statement.provider_id[:50])
    if statement.lines:
        out.seg("LX", "1")
        for line in statement.lines:
            detail = details.get(line.claim_id) or LineDetail(claim_ref=line.claim_id)
            _claim_payment(out, line, detail)
    _provider_adjustments(out, statement)
    out.end_set()
    return out.text()


def _claim_payment(out: Interchange, line: RemittanceLine, detail: LineDetail) -> None:
    adjustments: list[tuple[str, Decimal]] = []
    unpaid = line.amount - line.paid - line.held_back
    if detail.denied_amount or (line.status == "denied" and detail.reasons):
        codes = [x12_reason(reason).carc for reason in detail.reasons] or [UNEXPLAINED_CARC]
        adjustments.append((codes[0], detail.denied_amount))
        adjustments += [(code, Decimal("0.00")) for code in codes[1:] if code != codes[0]]
    if line.held_back:
        adjustments.append((HOLDBACK_CARC, line.held_back))
    if unpaid > 0:
        codes = [x12_reason(reason).carc for reason in line.reasons] or [UNEXPLAINED_CARC]
        adjustments.append((codes[0], unpaid))
    charge = line.paid + sum((amount for _, amount in adjustments), Decimal("0.00"))
    status = {"paid": "1", "unfunded": "1", "denied": "4", "voided": "22"}[line.status]
    out.seg(
        "CLP",
        detail.claim_ref[:38],
        status,
        _amount(charge),
        _amount(line.paid),
        "",
        "MC",
        line.claim_id[:50],
    )
    procedure = detail.procedure_code
    if not procedure:
        _cas(out, adjustments)
    out.seg("NM1", "QC", "1", "", "", "", "", "", "MI", line.client_id[:80])
    out.seg("REF", "G1", line.voucher_id[:50])
    out.seg("DTM", "232", line.service_date.strftime("%Y%m%d"))
    last = detail.service_date_to
    if last is not None and last != line.service_date:
        out.seg("DTM", "233", last.strftime("%Y%m%d"))
    if procedure:
        units = detail.billed_units
        out.seg(
            "SVC",
            f"HC:{procedure}",
            _amount(charge),
            _amount(line.paid),
            "",
            str(detail.allowed_units) if detail.allowed_units is not None else "",
            "",
            str(units) if units is not None else "",
        )
        if last is not None and last != line.service_date:
            # a date-range line (per-diem stay): its period, not only its first day
            out.seg("DTM", "150", line.service_date.strftime("%Y%m%d"))
            out.seg("DTM", "151", last.strftime("%Y%m%d"))
        else:
            out.seg("DTM", "472", line.service_date.strftime("%Y%m%d"))
        _cas(out, adjustments)
        out.seg("REF", "6R", detail.claim_ref[:50])
        remarks = [x12_reason(r).rarc for r in [*detail.reasons, *line.reasons]]
        for rarc in dict.fromkeys(r for r in remarks if r):
            out.seg("LQ", "HE", rarc)


def _cas(out: Interchange, adjustments: list[tuple[str, Decimal]]) -> None:
    """CAS segments (group CO), up to six reason/amount pairs each."""
    for start in range(0, len(adjustments), 6):
        elements: list[str] = ["CAS", GROUP_CODE]
        for code, amount in adjustments[start : start + 6]:
            elements += [code, _amount(amount), ""]
        out.seg(*elements)


def _provider_adjustments(out: Interchange, statement: Remittance) -> None:
    """PLB: released holdbacks and incentive awards paid (negative), corrections
    recovered (positive), six to a segment."""
    items: list[tuple[str, Decimal]] = []
    for release in statement.releases:
        items.append((f"CS:{release.voucher_id[:50]}", -release.amount))
    for award in statement.incentive_awards:
        items.append((f"CS:INCENTIVE-FY{award.fiscal_year}", -award.amount))
    for adjustment in statement.adjustments:
        items.append((f"WO:{adjustment.claim_id[:50]}", -adjustment.adjusted))
    cutoff = statement.cutoff
    fiscal_end = f"{cutoff.year if cutoff.month <= 6 else cutoff.year + 1}0630"
    for start in range(0, len(items), 6):
        elements = ["PLB", statement.provider_id[:50], fiscal_end]
        for reason, amount in items[start : start + 6]:
            elements += [reason, _amount(amount)]
        out.seg(*elements)
