"""Writes 837P interchanges (005010X222A1) for the X12 tests: the samples under
``x12_samples/`` were made with it, and the integration test makes one per run (its
clients and vouchers are new each time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

SUBMITTER = "EHRSUBMITTER"
BILLING_NPI = "1234567893"
RENDERING_NPI = "1245319599"


@dataclass(frozen=True)
class Line:
    """One 2400 service line."""

    hcpcs: str
    units: int
    service_date: date
    charge: str = "10"
    modifiers: Sequence[str] = ()
    service_code: str | None = None
    control: str | None = None
    service_date_to: date | None = None


@dataclass(frozen=True)
class Claim:
    """One 2000B subscriber with one 2300 claim."""

    patient_control_number: str
    member_id: str
    voucher_id: str | None
    lines: Sequence[Line]
    staff_id: str | None = "STF-1"
    diagnoses: Sequence[str] = ("F1120",)
    place_of_service: str = "57"
    extra: Sequence[str] = field(default_factory=tuple)
    frequency: str = "1"
    earlier_ref: str | None = None


def build_837(claims: Sequence[Claim], *, control: str = "000000101") -> str:
    """An 837P interchange, one segment a line, with correct SE/GE/IEA counts."""
    body: list[str] = [
        "BHT*0019*00*BATCH-1*20261201*1200*CH",
        f"NM1*41*2*RECOVERY HOUSE*****46*{SUBMITTER}",
        "PER*IC*BILLING OFFICE*TE*5555551212",
        "NM1*40*2*ATR PROGRAM*****46*ATRGATEWAY",
        "HL*1**20*1",
        f"NM1*85*2*RECOVERY HOUSE*****XX*{BILLING_NPI}",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*MO*658020000",
        "REF*EI*123456789",
    ]
    hl = 1
    for claim in claims:
        hl += 1
        body += [
            f"HL*{hl}*1*22*0",
            "SBR*P*18*******11",
            f"NM1*IL*1*DOE*JOHN****MI*{claim.member_id}",
            "NM1*PR*2*ATR PROGRAM*****PI*ATR",
        ]
        total = sum(int(line.charge) for line in claim.lines)
        body.append(
            f"CLM*{claim.patient_control_number}*{total}***"
            f"{claim.place_of_service}:B:{claim.frequency}*Y*A*Y*Y"
        )
        if claim.voucher_id:
            body.append(f"REF*G1*{claim.voucher_id}")
        if claim.earlier_ref:
            body.append(f"REF*F8*{claim.earlier_ref}")
        if claim.diagnoses:
            body.append(
                "HI*"
                + "*".join(
                    f"{'ABK' if i == 0 else 'ABF'}:{code}" for i, code in enumerate(claim.diagnoses)
                )
            )
        body.append(f"NM1*82*1*SMITH*JANE****XX*{RENDERING_NPI}")
        if claim.staff_id:
            body.append(f"REF*G2*{claim.staff_id}")
        for number, line in enumerate(claim.lines, start=1):
            composite = ":".join(["HC", line.hcpcs, *line.modifiers])
            if line.service_code:
                padding = [""] * (4 - len(line.modifiers))
                composite = ":".join(
                    ["HC", line.hcpcs, *line.modifiers, *padding, line.service_code]
                )
            body += [
                f"LX*{number}",
                f"SV1*{composite}*{line.charge}*UN*{line.units}***1",
                f"DTP*472*D8*{line.service_date:%Y%m%d}"
                if line.service_date_to is None
                else f"DTP*472*RD8*{line.service_date:%Y%m%d}-{line.service_date_to:%Y%m%d}",
            ]
            if line.control:
                body.append(f"REF*6R*{line.control}")
        body += list(claim.extra)
    segments = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{SUBMITTER:<15}*ZZ*{'ATRGATEWAY':<15}"
        f"*261201*1200*^*00501*{control}*0*T*:",
        "GS*HC*EHRSUBMITTER*ATRGATEWAY*20261201*1200*101*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*101",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segments) + "~\n"
