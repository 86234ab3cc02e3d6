"""835 out (services/gateway/domain/x12_out.py): a remittance statement as an 835 that
pyx12 validates, whose BPR02 is the statement's total and CLP04 sum its paid amount,
each claim balanced (CLP03 - CAS = CLP04), reasons as the CARC/RARC of
contracts/x12_codes.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyx12.params
import pyx12.x12n_document

from contracts.api.payments import (
    Remittance,
    RemittanceAdjustment,
    RemittanceIncentive,
    RemittanceLine,
    RemittanceRelease,
)
from contracts.x12_codes import REASON_CODES_X12
from services.gateway.domain.x12_out import LineDetail, remittance_835

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
D = Decimal


def validate(text: str) -> tuple[bool, dict[str, object]]:
    summary = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, None, summary
    )
    return bool(ok), json.loads(summary.getvalue())


def segments(text: str, seg_id: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip().split("*")[0] == seg_id]


def line(
    claim_id: str, status: str, amount: str, paid: str, held: str, *reasons: str
) -> RemittanceLine:
    return RemittanceLine(
        claim_id=claim_id,
        client_id="CL-1",
        voucher_id="VCH-1",
        service_code="RECOVERY_MENTORING_IND",
        service_date=date(2026, 10, 20),
        status=status,  # type: ignore[arg-type]
        amount=D(amount),
        paid=D(paid),
        held_back=D(held),
        reasons=list(reasons),
    )


STATEMENT = Remittance(
    period="2026-11",
    provider_id="PRV-1",
    invoice_id="INV-2026-11-PRV-1",
    cutoff=date(2026, 11, 1),
    paid=D("22.50"),
    held_back=D("2.50"),
    released=D("4.00"),
    adjusted=D("-3.00"),
    incentives=D("10.00"),
    total=D("33.50"),
    lines=[
        line("CLM-1", "paid", "20.00", "18.00", "2.00"),
        line("CLM-2", "paid", "5.00", "4.50", "0.50"),  # partially approved
        line("CLM-3", "denied", "0.00", "0.00", "0.00", "WEEKLY_LIMIT", "DUPLICATE_CLAIM"),
        line("CLM-4", "unfunded", "7.50", "0.00", "0.00", "FUNDS_EXHAUSTED"),
        line("CLM-5", "voided", "0.00", "0.00", "0.00"),
    ],
    releases=[
        RemittanceRelease(
            voucher_id="VCH-0",
            client_id="CL-0",
            fiscal_year=2027,
            amount=D("4.00"),
            released_on=date(2026, 10, 9),
        )
    ],
    adjustments=[
        RemittanceAdjustment(
            claim_id="CLM-0",
            correction_id="COR-1",
            client_id="CL-0",
            voucher_id="VCH-0",
            service_code="RECOVERY_MENTORING_IND",
            service_date=date(2026, 9, 1),
            amount=D("-3.00"),
            adjusted=D("-3.00"),
            corrected_on=date(2026, 10, 2),
        )
    ],
    incentive_awards=[
        RemittanceIncentive(
            fiscal_year=2026, completions=2, amount=D("10.00"), awarded_on=date(2026, 10, 1)
        )
    ],
)
DETAILS = {
    "CLM-1": LineDetail("EHR-1", 4, 4, D("0"), (), "H0038"),
    "CLM-2": LineDetail("EHR-2", 2, 1, D("5.00"), ("WEEKLY_LIMIT",), "H0038"),
    "CLM-3": LineDetail("EHR-3", 2, 0, D("10.00"), ("WEEKLY_LIMIT", "DUPLICATE_CLAIM"), "H0038"),
    "CLM-4": LineDetail("EHR-4", 3, 3, D("0"), (), "H0038"),
}


def test_the_835_validates_and_its_totals_are_the_statements() -> None:
    text = remittance_835(STATEMENT, DETAILS, control=7, now=NOW)
    ok, summary = validate(text)
    assert ok, summary
    [bpr] = segments(text, "BPR")
    assert D(bpr[2]) == STATEMENT.total
    clps = segments(text, "CLP")
    assert sum(D(clp[4]) for clp in clps) == STATEMENT.paid
    plb_total = sum((D(amount) for plb in segments(text, "PLB") for amount in plb[4::2]), D("0"))
    assert sum(D(clp[4]) for clp in clps) - plb_total == STATEMENT.total


def test_each_claim_balances_and_carries_its_reasons_codes() -> None:
    text = remittance_835(STATEMENT, DETAILS, control=7, now=NOW)
    claims = text.split("CLP*")[1:]
    by_ref = {}
    for chunk in claims:
        clp = ("CLP*" + chunk).split("~")[0].split("*")
        adjusted = sum(
            (D(amount) for cas in segments("CLP*" + chunk, "CAS") for amount in cas[3::3]),
            D("0"),
        )
        assert D(clp[3]) - adjusted == D(clp[4]), chunk
        by_ref[clp[1]] = "CLP*" + chunk
    assert "CAS*CO*104*2~" in by_ref["EHR-1"]  # the holdback
    weekly = REASON_CODES_X12["WEEKLY_LIMIT"]
    assert f"CAS*CO*{weekly.carc}*5**104*0.5~" in by_ref["EHR-2"]
    assert f"LQ*HE*{weekly.rarc}~" in by_ref["EHR-2"]
    duplicate = REASON_CODES_X12["DUPLICATE_CLAIM"].carc
    assert f"CAS*CO*{weekly.carc}*10**{duplicate}*0~" in by_ref["EHR-3"]
    assert by_ref["EHR-3"].startswith("CLP*EHR-3*4*10*0**MC*CLM-3")
    funds = REASON_CODES_X12["FUNDS_EXHAUSTED"].carc
    assert f"CAS*CO*{funds}*7.5~" in by_ref["EHR-4"]
    assert by_ref["CLM-5"].startswith("CLP*CLM-5*22*0*0")  # no detail: the claim id


def test_a_statement_with_nothing_paid_is_a_notification() -> None:
    empty = STATEMENT.model_copy(
        update={
            "lines": [],
            "releases": [],
            "adjustments": [],
            "incentive_awards": [],
            "paid": D("0"),
            "held_back": D("0"),
            "released": D("0"),
            "adjusted": D("0"),
            "incentives": D("0"),
            "total": D("0"),
        }
    )
    text = remittance_835(empty, {}, control=8, now=NOW)
    assert validate(text)[0]
    assert segments(text, "BPR")[0][1:3] == ["H", "0"]


def test_a_date_range_line_gives_its_period_and_still_validates() -> None:
    stay = line("CLM-6", "paid", "300.00", "270.00", "30.00")
    # the statement's releases, award and adjustment stay: total = paid + 4 + 10 - 3
    statement = STATEMENT.model_copy(
        update={"lines": [stay], "paid": D("270.00"), "held_back": D("30.00"), "total": D("281.00")}
    )
    detail = LineDetail("EHR-6", 3, 3, D("0"), (), "H0043", service_date_to=date(2026, 10, 22))
    text = remittance_835(statement, {"CLM-6": detail}, control=9, now=NOW)
    ok, summary = validate(text)
    assert ok, summary
    dtms = [dtm[1:3] for dtm in segments(text, "DTM") if dtm[1] != "405"]
    assert dtms == [
        ["232", "20261020"],
        ["233", "20261022"],
        ["150", "20261020"],
        ["151", "20261022"],
    ]
    one_day = remittance_835(
        statement, {"CLM-6": LineDetail("EHR-6", procedure_code="H0043")}, control=9, now=NOW
    )
    assert [dtm[1:3] for dtm in segments(one_day, "DTM") if dtm[1] != "405"] == [
        ["232", "20261020"],
        ["472", "20261020"],
    ]
