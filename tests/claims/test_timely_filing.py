"""Timely filing (the program catalog's ``timely_filing_days``, measured from the service
date to the program date the gateway accepted the line) and the real-claim fields kept
with the stored line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.claims import ClaimSubmittedData
from contracts.reasons import Reason
from programs.loader import load_catalog
from services.claims.adapters.claim_lines import line_from_stored, line_from_submitted, line_values
from services.claims.domain.engine import evaluate, filing_faults
from tests.programs.builders import DAY, history, line

MO = load_catalog("missouri_atr2")
LIMIT = MO.timely_filing_days
MENTORING = "RECOVERY_MENTORING_IND"


def test_a_line_filed_on_the_last_day_is_decided_on_its_merits() -> None:
    on_time = line(MENTORING, 1, filed_on=DAY + timedelta(days=LIMIT))
    assert filing_faults(MO, on_time) == set()
    assert evaluate(MO, on_time, history()).allowed_units == 1


def test_a_line_filed_a_day_late_is_denied_timely_filing() -> None:
    late = line(MENTORING, 3, filed_on=DAY + timedelta(days=LIMIT + 1))
    decision = evaluate(MO, late, history())
    assert decision.reasons == (Reason.TIMELY_FILING,)
    assert decision.allowed_units == 0
    assert decision.denied_units == 3


def test_the_limit_is_the_programs_own() -> None:
    strict = MO.model_copy(update={"timely_filing_days": 90})
    filed = line(MENTORING, 1, filed_on=DAY + timedelta(days=91))
    assert evaluate(strict, filed, history()).reasons == (Reason.TIMELY_FILING,)
    assert evaluate(MO, filed, history()).reasons == ()


def test_timely_filing_wins_over_every_catalog_rule_of_the_line() -> None:
    late_unknown = line("MASSAGE", 1, filed_on=DAY + timedelta(days=LIMIT + 1))
    assert evaluate(MO, late_unknown, history()).reasons == (Reason.TIMELY_FILING,)
    undocumented = line(
        MENTORING, 1, client_signature=False, filed_on=DAY + timedelta(days=LIMIT + 1)
    )
    assert evaluate(MO, undocumented, history()).reasons == (Reason.TIMELY_FILING,)


def test_a_line_without_a_filing_date_is_not_held_to_the_limit() -> None:
    old = line(MENTORING, 1, day=DAY - timedelta(days=LIMIT * 3))
    assert old.filed_on is None
    assert Reason.TIMELY_FILING not in evaluate(MO, old, history()).reasons


def test_the_billing_fields_and_filing_date_are_stored_with_the_line() -> None:
    data = ClaimSubmittedData(
        claim_ref="R-1",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=MENTORING,
        service_date=date(2026, 9, 14),
        units=2,
        staff_id="S1",
        rendering_npi="1234567893",
        billing_npi="1245319599",
        procedure_code="H0038",
        modifiers=["HQ", "U1"],
        diagnosis_codes=["F11.20", "Z63"],
        place_of_service="57",
        claim_id="CLM-1",
        submitted_at=datetime(2026, 9, 15, tzinfo=UTC),
        filed_on=date(2026, 9, 15),
    )
    claim = line_from_submitted(data)
    assert claim.modifiers == ("HQ", "U1")
    assert claim.diagnosis_codes == ("F11.20", "Z63")
    hash(claim)  # still an immutable value
    stored = line_values(claim, datetime(2026, 9, 15, tzinfo=UTC))["line"]
    assert stored["procedure_code"] == "H0038"
    assert stored["modifiers"] == ["HQ", "U1"]
    assert stored["place_of_service"] == "57"
    assert stored["filed_on"] == "2026-09-15"
    assert line_from_stored(stored) == claim


def test_a_line_stored_before_the_fields_existed_reads_back_without_them() -> None:
    claim = line(MENTORING, 1, claim_ref="R-2", submitted_at=datetime(2026, 9, 15, tzinfo=UTC))
    stored = line_values(claim, datetime(2026, 9, 15, tzinfo=UTC))["line"]
    for name in (
        "filed_on",
        "rendering_npi",
        "billing_npi",
        "procedure_code",
        "modifiers",
        "diagnosis_codes",
        "place_of_service",
    ):
        stored.pop(name)
    assert line_from_stored(stored) == claim
