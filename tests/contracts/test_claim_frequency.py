"""The claim frequency of a submitted line: an original names no earlier claim, a
replacement or void names one (``replaces_claim_ref``), and a replacement is a new
claim under its own ``claim_ref``; the X12 ``CLM05-3`` codes map to it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from contracts.claims import ClaimFrequency, ClaimSubmittedData, SubmitClaim
from contracts.x12_codes import CLAIM_FREQUENCY_CODES, CLAIM_FREQUENCY_X12

LINE: dict[str, Any] = {
    "claim_ref": "EHR-2",
    "provider_id": "PRV-1",
    "client_id": "CL-1",
    "voucher_id": "VCH-1",
    "service_code": "RECOVERY_MENTORING_IND",
    "service_date": "2026-11-20",
    "units": 2,
    "staff_id": "STF-1",
}


def refusal(body: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as caught:
        SubmitClaim.model_validate(body)
    [error] = caught.value.errors()
    return error["loc"], error["msg"]


def test_a_line_without_a_frequency_is_an_original_naming_no_earlier_claim() -> None:
    line = SubmitClaim.model_validate(LINE)
    assert line.frequency is ClaimFrequency.ORIGINAL
    assert line.replaces_claim_ref is None


@pytest.mark.parametrize("frequency", ["replacement", "void"])
def test_a_replacement_or_void_names_the_earlier_claim(frequency: str) -> None:
    loc, msg = refusal({**LINE, "frequency": frequency})
    assert loc == ("replaces_claim_ref",)
    assert frequency in msg
    line = SubmitClaim.model_validate(
        {**LINE, "frequency": frequency, "replaces_claim_ref": "EHR-1"}
    )
    assert (line.frequency, line.replaces_claim_ref) == (frequency, "EHR-1")


def test_an_original_naming_an_earlier_claim_is_refused() -> None:
    loc, msg = refusal({**LINE, "replaces_claim_ref": "EHR-1"})
    assert loc == ("replaces_claim_ref",)
    assert "only a replacement or a void" in msg
    loc, _ = refusal({**LINE, "frequency": "original", "replaces_claim_ref": "EHR-1"})
    assert loc == ("replaces_claim_ref",)


def test_a_replacement_has_its_own_claim_ref_a_void_may_repeat_it() -> None:
    loc, msg = refusal({**LINE, "frequency": "replacement", "replaces_claim_ref": "EHR-2"})
    assert loc == ("replaces_claim_ref",)
    assert "own claim_ref" in msg
    void = SubmitClaim.model_validate({**LINE, "frequency": "void", "replaces_claim_ref": "EHR-2"})
    assert void.replaces_claim_ref == void.claim_ref


def test_an_unknown_frequency_or_a_malformed_ref_is_refused_naming_the_field() -> None:
    loc, _ = refusal({**LINE, "frequency": "corrected"})
    assert loc == ("frequency",)
    loc, _ = refusal({**LINE, "frequency": "void", "replaces_claim_ref": "EHR 1"})
    assert loc == ("replaces_claim_ref",)


def test_an_event_of_an_older_gateway_reads_as_an_original() -> None:
    data = ClaimSubmittedData.model_validate(
        {**LINE, "claim_id": "CLM-1", "submitted_at": "2026-11-20T10:00:00Z"}
    )
    assert data.frequency is ClaimFrequency.ORIGINAL
    assert data.replaces_claim_ref is None


def test_x12_claim_frequency_codes_map_both_ways() -> None:
    assert CLAIM_FREQUENCY_CODES == {
        "1": ClaimFrequency.ORIGINAL,
        "7": ClaimFrequency.REPLACEMENT,
        "8": ClaimFrequency.VOID,
    }
    assert set(CLAIM_FREQUENCY_X12) == set(ClaimFrequency)
    assert all(CLAIM_FREQUENCY_CODES[CLAIM_FREQUENCY_X12[f]] is f for f in ClaimFrequency)
