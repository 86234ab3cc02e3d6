"""The real-claim fields of a claim line: NPIs with the CMS check digit, a HCPCS
procedure code and up to four modifiers, at most twelve ICD-10-CM diagnosis codes and a
CMS place-of-service code; optional (old bodies still validate), strict when given."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.billing_codes import is_valid_npi, npi_check_digit
from contracts.claims import ClaimSubmittedData, SubmitClaim

BASE: dict[str, Any] = {
    "claim_ref": "R-1",
    "provider_id": "PRV-1",
    "client_id": "CL-1",
    "voucher_id": "VCH-1",
    "service_code": "RECOVERY_MENTORING_IND",
    "service_date": "2026-09-14",
    "units": 2,
    "staff_id": "STF-1",
}

FULL: dict[str, Any] = {
    **BASE,
    "rendering_npi": "1234567893",
    "billing_npi": "1245319599",
    "procedure_code": "H0038",
    "modifiers": ["HQ", "U1"],
    "diagnosis_codes": ["F11.20", "F10.239", "Z63"],
    "place_of_service": "57",
}


def test_the_cms_example_npi_has_check_digit_3() -> None:
    # CMS NPI check-digit example: 123456789 -> prefix 80840 -> Luhn check digit 3
    assert npi_check_digit("123456789") == 3
    assert is_valid_npi("1234567893")
    assert npi_check_digit("124531959") == 9


@pytest.mark.parametrize(
    "value",
    ["1234567890", "1234567894", "123456789", "12345678931", "123456789a", "\uff11234567893"],
)
def test_an_npi_with_a_wrong_check_digit_or_shape_is_invalid(value: str) -> None:
    assert not is_valid_npi(value)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_last_digit_makes_nine_digits_a_valid_npi(first_nine: str) -> None:
    valid = [d for d in "0123456789" if is_valid_npi(first_nine + d)]
    assert valid == [str(npi_check_digit(first_nine))]


def test_a_line_without_the_new_fields_still_validates() -> None:
    line = SubmitClaim.model_validate(BASE)
    assert line.rendering_npi is None
    assert line.procedure_code is None
    assert line.modifiers is None
    assert line.diagnosis_codes is None


def test_a_full_line_keeps_every_field() -> None:
    line = SubmitClaim.model_validate(FULL)
    assert line.rendering_npi == "1234567893"
    assert line.billing_npi == "1245319599"
    assert line.procedure_code == "H0038"
    assert line.modifiers == ["HQ", "U1"]
    assert line.diagnosis_codes == ["F11.20", "F10.239", "Z63"]
    assert line.place_of_service == "57"
    assert SubmitClaim.model_validate({**FULL, "procedure_code": "99211"}).procedure_code


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rendering_npi", "1234567890"),  # check digit
        ("billing_npi", "123456789"),  # nine digits
        ("billing_npi", 1234567893),  # a number, not a string
        ("procedure_code", "H003"),
        ("procedure_code", "h0038"),
        ("procedure_code", "HH038"),
        ("procedure_code", "H00381"),
        ("modifiers", ["H"]),
        ("modifiers", ["hq"]),
        ("modifiers", ["HQ", "HR", "HZ", "HF", "U1"]),  # five
        ("diagnosis_codes", ["F1"]),
        ("diagnosis_codes", ["1F1.20"]),
        ("diagnosis_codes", ["F11.20000"]),  # five after the dot
        ("diagnosis_codes", ["F11."]),
        ("diagnosis_codes", [f"F1{n}" for n in range(10)] + ["Z63", "Z64", "Z65"]),  # 13
        ("place_of_service", "00"),
        ("place_of_service", "1"),
        ("place_of_service", "100"),
        ("place_of_service", 11),
    ],
)
def test_a_malformed_field_is_refused_by_name(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        SubmitClaim.model_validate({**FULL, field: value})
    assert {error["loc"][0] for error in refused.value.errors()} == {field}


def test_the_submitted_event_carries_the_fields_and_the_filing_date() -> None:
    line = SubmitClaim.model_validate(FULL)
    data = ClaimSubmittedData(
        **line.model_dump(),
        claim_id="CLM-1",
        submitted_at=datetime(2026, 9, 15, tzinfo=UTC),
        filed_on=date(2026, 9, 15),
    )
    again = ClaimSubmittedData.model_validate_json(data.model_dump_json())
    assert again == data
    assert again.modifiers == ["HQ", "U1"]
    assert again.filed_on == date(2026, 9, 15)


def test_an_event_from_an_older_gateway_has_no_filing_date() -> None:
    old = ClaimSubmittedData.model_validate(
        {**BASE, "claim_id": "CLM-1", "submitted_at": "2026-09-15T00:00:00Z"}
    )
    assert old.filed_on is None
    assert old.procedure_code is None
