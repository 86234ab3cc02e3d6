"""The FHIR mapping: a FHIR R4 Claim becomes the claim lines ``POST /v1/claims`` takes
(each field from its element; a refusal names the element), and claim and payment state
becomes a ClaimResponse, ExplanationOfBenefit and searchset Bundle that validate with
the ``fhir.resources`` models."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claimresponse import ClaimResponse
from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit

from contracts.api.claims import ClaimStatus
from contracts.api.payments import Funding
from programs.loader import load_catalog
from services.gateway.fhir import claim_in, claim_out, systems
from services.gateway.service_layer.claims import procedure_code_errors, service_date_errors

MO = load_catalog("missouri_atr2")
IL = load_catalog("illinois_atr3")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def item(sequence: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "careTeamSequence": [1],
        "productOrService": {"coding": [{"system": systems.HCPCS, "code": "H0038"}]},
        "servicedDate": "2026-11-29",
        "quantity": {"value": 2},
        **extra,
    }


def fhir_claim(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Claim",
        "status": "active",
        "identifier": [{"system": "urn:ehr:claims", "value": "EHR-77"}],
        "type": {"coding": [{"system": systems.CLAIM_TYPE, "code": "professional"}]},
        "use": "claim",
        "patient": {"reference": "Patient/CL-1"},
        "created": "2026-11-30",
        "provider": {
            "reference": "Organization/PRV-1",
            "identifier": {"system": systems.NPI, "value": "1245319599"},
        },
        "priority": {"coding": [{"code": "normal"}]},
        "careTeam": [
            {
                "sequence": 1,
                "provider": {
                    "reference": "Practitioner/STF-1",
                    "identifier": {"system": systems.NPI, "value": "1234567893"},
                },
            }
        ],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": systems.ICD10CM, "code": "F11.20"}]
                },
            },
            {
                "sequence": 2,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": systems.ICD10CM, "code": "Z63"}]
                },
            },
        ],
        "insurance": [
            {"sequence": 1, "focal": True, "coverage": {"display": "ATR"}, "preAuthRef": ["VCH-1"]}
        ],
        "item": list(items or [item()]),
        **extra,
    }


def lines(document: dict[str, Any], catalog: Any = MO) -> list[claim_in.MappedLine]:
    return claim_in.claim_lines(claim_in.parse_claim(json.dumps(document).encode()), catalog)


def refused(document: dict[str, Any] | bytes, catalog: Any = MO) -> list[tuple[Any, ...]]:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(claim_in.FhirClaimError) as caught:
        claim_in.claim_lines(claim_in.parse_claim(raw), catalog)
    return [tuple(error["loc"]) for error in caught.value.errors]


def test_a_one_item_claim_is_one_line_with_every_field_from_its_element() -> None:
    extensions = [
        {"url": f"{systems.LINE_EXTENSION}start-time", "valueTime": "09:00:00"},
        {"url": f"{systems.LINE_EXTENSION}end-time", "valueTime": "09:30:00"},
        {"url": f"{systems.LINE_EXTENSION}client-signature", "valueBoolean": True},
        {"url": f"{systems.LINE_EXTENSION}face-to-face", "valueBoolean": True},
        {"url": f"{systems.LINE_EXTENSION}trip-authorization", "valueString": "PA-1"},
        {"url": "https://other.example/ext", "valueString": "ignored"},
    ]
    place = {"coding": [{"system": systems.PLACE_OF_SERVICE, "code": "57"}]}
    [mapped] = lines(
        fhir_claim(
            item(
                modifier=[{"coding": [{"code": "U1"}]}],
                diagnosisSequence=[2],
                locationCodeableConcept=place,
                extension=extensions,
            )
        )
    )
    line = mapped.line.model_dump(mode="json", exclude_none=True)
    assert line == {
        "claim_ref": "EHR-77",  # one item: the provider's reference itself
        "provider_id": "PRV-1",
        "client_id": "CL-1",
        "voucher_id": "VCH-1",
        "service_code": "RECOVERY_MENTORING_IND",  # H0038 without HQ/HR
        "service_date": "2026-11-29",
        "units": 2,
        "staff_id": "STF-1",
        "start_time": "09:00:00",
        "end_time": "09:30:00",
        "client_signature": True,
        "face_to_face": True,
        "trip_authorization": "PA-1",
        "rendering_npi": "1234567893",
        "billing_npi": "1245319599",
        "procedure_code": "H0038",
        "modifiers": ["U1"],
        "diagnosis_codes": ["Z63"],
        "place_of_service": "57",
        "frequency": "original",  # a FHIR Claim is always an original here
    }
    assert mapped.sequence == 1


def test_several_items_are_lines_whose_refs_carry_the_item_sequence() -> None:
    local = {"coding": [{"system": systems.SERVICE_CODE, "code": "CARE_COORDINATION"}]}
    mapped = lines(
        fhir_claim(
            item(1, modifier=[{"coding": [{"code": "HQ"}]}, {"coding": [{"code": "HR"}]}]),
            item(3, productOrService=local),
        )
    )
    assert [(m.line.claim_ref, m.line.service_code) for m in mapped] == [
        ("EHR-77:1", "FAMILY_ENGAGEMENT_GRP"),  # the most specific modifiers win
        ("EHR-77:3", "CARE_COORDINATION"),
    ]
    assert mapped[0].line.diagnosis_codes == ["F11.20", "Z63"]  # no diagnosisSequence: all
    assert claim_in.group_of("EHR-77:3") == ("EHR-77", 3)
    assert claim_in.group_of("EHR-77") == ("EHR-77", 1)


def test_an_hcpcs_code_several_services_share_must_be_named_by_service_code() -> None:
    assert claim_in.resolve_service(IL, "H0038", [])[0] is None  # peer or recovery coaching
    assert claim_in.resolve_service(IL, "H0047", ["HQ"]) == ("SPIRITUAL_SUPPORT", None)
    assert refused(fhir_claim(), IL) == [("body", "item", 0, "productOrService")]
    named = {"coding": [{"system": systems.SERVICE_CODE, "code": "PEER_COACHING"}]}
    [line] = lines(fhir_claim(item(productOrService=named)), IL)
    assert line.line.service_code == "PEER_COACHING"
    assert refused(
        fhir_claim(item(productOrService={"coding": [{"system": systems.HCPCS, "code": "T1019"}]}))
    ) == [("body", "item", 0, "productOrService")]


def test_invalid_fhir_is_refused_naming_the_element() -> None:
    assert refused(b"{not json") == [("body",)]
    assert refused({**fhir_claim(), "resourceType": "Patient"}) == [("body", "resourceType")]
    assert refused({**fhir_claim(), "unknownElement": 1}) == [("body", "unknownElement")]
    assert refused(fhir_claim(item(servicedDate="2026-13-01"))) == [
        ("body", "item", 0, "servicedDate")
    ]
    assert refused(fhir_claim(item(sequence="first"))) == [("body", "item", 0, "sequence")]


def test_a_claim_that_cannot_be_mapped_is_refused_naming_each_element() -> None:
    bad = fhir_claim(
        item(quantity={"value": 1.5}, servicedDate=None, careTeamSequence=[9]),
        patient={"reference": "Patient/Jane Doe"},
        provider={"display": "Clinic"},
        identifier=[],
        insurance=[{"sequence": 1, "focal": True, "coverage": {"display": "ATR"}}],
        status="draft",
    )
    assert set(refused(bad)) == {
        ("body", "status"),
        ("body", "identifier"),
        ("body", "provider", "reference"),
        ("body", "patient", "reference"),
        ("body", "insurance", 0, "preAuthRef"),
        ("body", "item", 0, "quantity", "value"),
        ("body", "item", 0, "servicedDate"),
        ("body", "item", 0, "careTeamSequence"),
    }


def test_a_line_field_the_line_refuses_is_named_at_its_fhir_element() -> None:
    bad_npi = fhir_claim(
        provider={
            "reference": "Organization/PRV-1",
            "identifier": {"system": systems.NPI, "value": "1245319590"},
        }
    )
    assert refused(bad_npi) == [("body", "provider", "identifier")]
    late_start = [
        {"url": f"{systems.LINE_EXTENSION}start-time", "valueTime": "10:00:00"},
        {"url": f"{systems.LINE_EXTENSION}end-time", "valueTime": "09:30:00"},
    ]
    assert refused(fhir_claim(item(extension=late_start))) == [("body", "item", 0, "extension", 1)]
    unknown = [{"url": f"{systems.LINE_EXTENSION}colour", "valueString": "blue"}]
    assert refused(fhir_claim(item(extension=unknown))) == [("body", "item", 0, "extension", 0)]
    assert refused(fhir_claim(item(diagnosisSequence=[7]))) == [
        ("body", "item", 0, "diagnosisSequence")
    ]


def test_intake_errors_are_moved_to_the_fhir_element() -> None:
    mapped = lines(
        fhir_claim(
            item(1),
            item(
                2,
                servicedDate="2001-01-01",
                productOrService={
                    "coding": [
                        {"system": systems.SERVICE_CODE, "code": "CARE_COORDINATION"},
                        {"system": systems.HCPCS, "code": "H0038"},
                    ]
                },
            ),
        )
    )
    plain = [m.line for m in mapped]
    errors = service_date_errors(plain, MO, date(2026, 11, 30), batch=True)
    errors += procedure_code_errors(plain, MO, batch=True)
    assert [e["loc"] for e in claim_in.located(mapped, errors)] == [
        ("body", "item", 1, "servicedDate"),
        ("body", "item", 1, "productOrService"),
    ]


def status(claim_id: str, **extra: Any) -> ClaimStatus:
    base: dict[str, Any] = {
        "claim_id": claim_id,
        "claim_ref": "EHR-77:1",
        "status": "pending",
        "voucher_id": "VCH-1",
        "service_code": "RECOVERY_MENTORING_IND",
        "service_date": date(2026, 11, 29),
        "billed_units": 4,
        "submitted_at": NOW,
    }
    return ClaimStatus.model_validate({**base, **extra})


def state(claim_id: str, sequence: int, found: ClaimStatus, funding: Funding | None = None) -> Any:
    return claim_out.LineState(
        claim_id=claim_id,
        claim_ref=f"EHR-77:{sequence}",
        provider_id="PRV-1",
        client_id="CL-1",
        status=found,
        funding=funding,
    )


DECIDED = status(
    "CLM-1",
    status="partially_approved",
    allowed_units=3,
    denied_units=1,
    unit_rate=Decimal("12.50"),
    allowed_amount=Decimal("37.50"),
    denied_amount=Decimal("12.50"),
    reasons=["WEEKLY_LIMIT", "UNITS_EXCEED_VOUCHER"],
)
FUNDED = Funding(
    funded=True,
    fiscal_year=2027,
    quarter=2,
    amount=Decimal("37.50"),
    payable=Decimal("33.75"),
    holdback=Decimal("3.75"),
    holdback_state="open",
)


def categories(entries: list[Any]) -> list[str]:
    return [entry.category.coding[0].code for entry in entries]


def test_a_claim_response_adjudicates_each_line_and_validates() -> None:
    response = claim_out.claim_response(
        "CLM-1",
        [state("CLM-1", 1, DECIDED, FUNDED), state("CLM-2", 2, status("CLM-2"))],
        insurer="Missouri ATR",
        now=NOW,
    )
    again = ClaimResponse.model_validate_json(response.model_dump_json())
    assert again.outcome == "partial"
    assert [i.value for i in again.identifier] == ["CLM-1", "CLM-2"]
    assert again.request.identifier.value == "EHR-77"
    assert again.patient.reference == "Patient/CL-1"
    first, second = again.item
    assert first.itemSequence == 1
    assert first.extension[0].valueString == "CLM-1"
    assert categories(first.adjudication) == [
        "submitted",
        "eligible",
        "benefit",
        "denied",
        "denied",
    ]
    submitted, eligible, benefit, denied, denied_too = first.adjudication
    assert (submitted.value, submitted.amount.value) == (4, Decimal("50.00"))
    assert (eligible.value, eligible.amount.value) == (3, Decimal("37.50"))
    assert benefit.amount.value == Decimal("37.50")
    assert denied.reason.coding[0].code == "WEEKLY_LIMIT"
    assert denied.amount.value == Decimal("12.50")
    assert denied_too.reason.coding[0].code == "UNITS_EXCEED_VOUCHER"
    assert denied_too.amount is None
    assert categories(second.adjudication) == ["submitted"]
    assert again.total is None  # the pending line has no amounts yet


def test_outcome_is_queued_then_complete() -> None:
    assert claim_out.outcome_of([state("CLM-2", 1, status("CLM-2"))]) == "queued"
    assert claim_out.outcome_of([state("CLM-1", 1, DECIDED)]) == "complete"
    only = claim_out.claim_response("CLM-1", [state("CLM-1", 1, DECIDED)], insurer="X", now=NOW)
    assert [t.category.coding[0].code for t in only.total] == ["submitted", "eligible"]
    received = ClaimStatus(claim_id="CLM-3", claim_ref="EHR-9", status="received")
    queued = claim_out.claim_response("CLM-3", [state("CLM-3", 1, received)], insurer="X", now=NOW)
    assert queued.outcome == "queued"
    assert queued.item is None


def test_an_explanation_of_benefit_carries_payment_and_holdback_and_validates() -> None:
    eob = claim_out.explanation_of_benefit(state("CLM-1", 1, DECIDED, FUNDED), insurer="X", now=NOW)
    again = ExplanationOfBenefit.model_validate_json(eob.model_dump_json())
    assert again.id == "CLM-1"
    assert again.outcome == "complete"
    assert again.provider.reference == "Organization/PRV-1"
    assert again.preAuthRef == ["VCH-1"]
    assert again.payment.amount.value == Decimal("33.75")
    assert again.payment.adjustment.value == Decimal("-3.75")
    assert again.payment.adjustmentReason.coding[0].code == "holdback"
    assert again.payment.type.coding[0].code == "partial"
    [line] = again.item
    assert line.productOrService.coding[0].code == "RECOVERY_MENTORING_IND"
    assert line.quantity.value == 4
    unfunded = Funding(
        funded=False,
        fiscal_year=2027,
        quarter=2,
        amount=Decimal("0.00"),
        payable=Decimal("0.00"),
        holdback=Decimal("0.00"),
        reason="FUNDS_EXHAUSTED",
    )
    nothing = claim_out.explanation_of_benefit(
        state("CLM-1", 1, DECIDED, unfunded), insurer="X", now=NOW
    )
    assert nothing.payment.amount.value == 0
    assert nothing.payment.adjustment is None


def test_an_eob_item_of_a_date_range_line_carries_its_serviced_period() -> None:
    one_day = claim_out.explanation_of_benefit(state("CLM-1", 1, DECIDED), insurer="X", now=NOW)
    [item] = one_day.item
    assert (item.servicedDate, item.servicedPeriod) == (DECIDED.service_date, None)
    stay = DECIDED.model_copy(
        update={"service_date_to": DECIDED.service_date + timedelta(days=2), "billed_units": 3}
    )
    eob = claim_out.explanation_of_benefit(state("CLM-1", 1, stay), insurer="X", now=NOW)
    again = ExplanationOfBenefit.model_validate_json(eob.model_dump_json())  # validates
    [item] = again.item
    assert item.servicedDate is None
    assert str(item.servicedPeriod.start) == DECIDED.service_date.isoformat()
    assert str(item.servicedPeriod.end) == (DECIDED.service_date + timedelta(days=2)).isoformat()


def test_the_search_bundle_validates_with_each_eob() -> None:
    eobs = [
        claim_out.explanation_of_benefit(state("CLM-1", 1, DECIDED, FUNDED), insurer="X", now=NOW),
        claim_out.explanation_of_benefit(
            state("CLM-2", 2, ClaimStatus(claim_id="CLM-2", claim_ref="R", status="received")),
            insurer="X",
            now=NOW,
        ),
    ]
    bundle = Bundle.model_validate_json(claim_out.search_bundle(eobs, 5).model_dump_json())
    assert bundle.type == "searchset"
    assert bundle.total == 5
    assert [e.resource.id for e in bundle.entry] == ["CLM-1", "CLM-2"]
    assert [e.resource.outcome for e in bundle.entry] == ["complete", "queued"]
    assert bundle.entry[0].resource.get_resource_type() == "ExplanationOfBenefit"


def test_odd_json_is_a_refusal_never_a_crash() -> None:
    assert refused(b'{"resourceType": "Claim", "x": NaN}') == [("body",)]
    assert refused(b"[" * 5000 + b"]" * 5000) == [("body",)]
    assert refused(fhir_claim(item(quantity={"value": 1e400}))) != []
    assert refused(b'"Claim"') == [("body",)]


def test_a_serviced_period_is_a_per_diem_date_range() -> None:
    """``item.servicedPeriod`` (a per-diem stay on one item) is ``service_date`` to
    ``service_date_to``; a range whose units are not its days is refused at the
    period's end, and one of a service not billed by the day too (catalog check)."""
    housing = {"coding": [{"system": systems.HCPCS, "code": "H0043"}]}
    period = {"start": "2026-11-16", "end": "2026-11-18"}
    stay = item(servicedDate=None, servicedPeriod=period, productOrService=housing)
    [mapped] = lines(fhir_claim({**stay, "quantity": {"value": 3}}))
    assert (mapped.line.service_date, mapped.line.service_date_to, mapped.line.units) == (
        date(2026, 11, 16),
        date(2026, 11, 18),
        3,
    )
    assert refused(fhir_claim(stay)) == [("body", "item", 0, "servicedPeriod", "end")]
    mentoring = item(servicedDate=None, servicedPeriod={**period, "end": "2026-11-17"})
    [ranged] = lines(fhir_claim(mentoring))
    errors = service_date_errors([ranged.line], MO, date(2026, 11, 30), batch=True)
    assert [e["loc"] for e in claim_in.located([ranged], errors)] == [
        ("body", "item", 0, "servicedPeriod", "end")
    ]
