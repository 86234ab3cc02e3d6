"""Client routes (SPEC §4): intake, eligibility, assessment, choice, consent, GPRA and
drug tests. The gateway checks the role and forwards to the eligibility service, which
owns the client record (PHI stays there).

A provider token reaches a client only through the relationship (its provider holds, or
held within the grace, one of the client's vouchers): every route a provider may call
depends on :func:`client_access`, which answers 404 ``client not found`` otherwise. Ids
in paths are checked (:data:`PathId`) before any internal call.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from fastapi import APIRouter, Depends, Request, Response

from contracts.api.clients import (
    Assess,
    AssessmentAnswer,
    AssessmentSummary,
    ChangeTreatmentStatus,
    ChoiceList,
    ConsentAnswer,
    DetermineEligibility,
    DrugTestAnswer,
    EligibilityAnswer,
    GpraDueList,
    GpraInterview,
    GpraRecordedAnswer,
    Intake,
    IntakeAnswer,
    ObjectionsAnswer,
    OfferChoiceList,
    OfferedChoiceList,
    RecordConsent,
    RecordDrugTest,
    ReligiousObjections,
    TreatmentStatusAnswer,
)
from contracts.api.errors import ERROR_RESPONSES
from contracts.envelope import Contract
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward, forward_as
from services.gateway.entrypoints.relationship import client_access

router = APIRouter(prefix="/v1/clients", tags=["clients"], responses=ERROR_RESPONSES)

assessor = Depends(require(Role.ASSESSOR))
provider = Depends(client_access(Role.PROVIDER))
assessor_or_provider = Depends(client_access(Role.ASSESSOR, Role.PROVIDER))
readers = Depends(client_access(Role.ASSESSOR, Role.PROVIDER, Role.ADMIN))

A = TypeVar("A")


async def _post(
    request: Request, answer: type[A], path: str, principal: Principal, body: Contract
) -> A | Response:
    return await forward_as(
        request,
        answer,
        "eligibility",
        path,
        principal=principal,
        json_body=body.model_dump(mode="json", exclude_unset=True),
    )


@router.post("", status_code=201, response_model=IntakeAnswer, operation_id="enrolClient")
async def enrol(
    body: Intake, request: Request, principal: Principal = assessor
) -> IntakeAnswer | Response:
    """Intake (assessor): `client_id`, `known`, `review_flag`, `ssn_last4` (never the SSN)."""
    return await _post(request, IntakeAnswer, "/clients", principal, body)


@router.post(
    "/{client_id}/eligibility",
    status_code=201,
    response_model=EligibilityAnswer,
    operation_id="determineEligibility",
)
async def determine_eligibility(
    client_id: PathId, body: DetermineEligibility, request: Request, principal: Principal = assessor
) -> EligibilityAnswer | Response:
    """Eligibility determination (assessor); an eligible one issues the assessment voucher."""
    return await _post(
        request, EligibilityAnswer, f"/clients/{client_id}/eligibility", principal, body
    )


@router.post(
    "/{client_id}/assessments",
    status_code=201,
    response_model=AssessmentAnswer,
    operation_id="assessClient",
)
async def assess(
    client_id: PathId, body: Assess, request: Request, principal: Principal = assessor
) -> AssessmentAnswer | Response:
    """Assessment, level of care, treatment status, GPRA intake (assessor)."""
    return await _post(
        request, AssessmentAnswer, f"/clients/{client_id}/assessments", principal, body
    )


@router.post(
    "/{client_id}/treatment-status",
    status_code=201,
    response_model=TreatmentStatusAnswer,
    operation_id="changeTreatmentStatus",
)
async def treatment_status(
    client_id: PathId,
    body: ChangeTreatmentStatus,
    request: Request,
    principal: Principal = assessor_or_provider,
) -> TreatmentStatusAnswer | Response:
    """Clinical treatment status from a date on (provider or assessor)."""
    return await _post(
        request, TreatmentStatusAnswer, f"/clients/{client_id}/treatment-status", principal, body
    )


@router.post(
    "/{client_id}/religious-objections",
    status_code=201,
    response_model=ObjectionsAnswer,
    operation_id="recordReligiousObjections",
)
async def religious_objections(
    client_id: PathId, body: ReligiousObjections, request: Request, principal: Principal = assessor
) -> ObjectionsAnswer | Response:
    """Record the client's religious objections (assessor)."""
    return await _post(
        request, ObjectionsAnswer, f"/clients/{client_id}/religious-objections", principal, body
    )


@router.get("/{client_id}/choices", response_model=ChoiceList, operation_id="listChoices")
async def choices(
    client_id: PathId,
    service: str,
    request: Request,
    county: str | None = None,
    principal: Principal = assessor,
) -> ChoiceList | Response:
    """Choice list for one service per SPEC §3.2 (assessor); unmet rule: choice exception."""
    return await forward_as(
        request,
        ChoiceList,
        "eligibility",
        f"/clients/{client_id}/choices",
        principal=principal,
        params={"service": service, "county": county},
    )


@router.post(
    "/{client_id}/choice-lists",
    status_code=201,
    response_model=OfferedChoiceList,
    operation_id="offerChoiceList",
)
async def offer_choices(
    client_id: PathId, body: OfferChoiceList, request: Request, principal: Principal = assessor
) -> OfferedChoiceList | Response:
    """Offer the client the choice list for one service and record it (assessor; seed 003
    App. E §4(2)): a voucher's selection must be a provider on the latest list offered
    for each of its services, or the offer recorded a choice exception."""
    return await _post(
        request, OfferedChoiceList, f"/clients/{client_id}/choice-lists", principal, body
    )


@router.post(
    "/{client_id}/consents",
    status_code=201,
    response_model=ConsentAnswer,
    operation_id="recordConsent",
)
async def consent(
    client_id: PathId, body: RecordConsent, request: Request, principal: Principal = assessor
) -> ConsentAnswer | Response:
    """Record consent to disclose to one provider (assessor; 42 CFR Part 2)."""
    return await _post(request, ConsentAnswer, f"/clients/{client_id}/consents", principal, body)


@router.post(
    "/{client_id}/consents/{consent_id}/revocation", status_code=204, operation_id="revokeConsent"
)
async def revoke_consent(
    client_id: PathId, consent_id: PathId, request: Request, principal: Principal = assessor
) -> Response:
    """The client revokes a consent (assessor)."""
    return await forward(
        request,
        "eligibility",
        f"/clients/{client_id}/consents/{consent_id}/revocation",
        principal=principal,
    )


@router.get(
    "/{client_id}/assessment-summary",
    response_model=AssessmentSummary,
    operation_id="readAssessmentSummary",
)
async def assessment_summary(
    client_id: PathId, request: Request, principal: Principal = provider
) -> AssessmentSummary | Response:
    """The assessment summary for the calling provider, only with consent (else 403)."""
    return await forward_as(
        request,
        AssessmentSummary,
        "eligibility",
        f"/clients/{client_id}/assessment-summary",
        principal=principal,
    )


@router.post(
    "/{client_id}/gpra",
    status_code=201,
    response_model=GpraRecordedAnswer,
    operation_id="recordGpraInterview",
)
async def gpra(
    client_id: PathId,
    body: GpraInterview,
    request: Request,
    principal: Principal = assessor_or_provider,
) -> GpraRecordedAnswer | Response:
    """Record a GPRA interview (provider or assessor)."""
    return await _post(request, GpraRecordedAnswer, f"/clients/{client_id}/gpra", principal, body)


@router.get("/{client_id}/gpra/due", response_model=GpraDueList, operation_id="listGpraDue")
async def gpra_due(
    client_id: PathId, request: Request, on: date | None = None, principal: Principal = readers
) -> GpraDueList | Response:
    """GPRA interviews due, overdue and upcoming (``on`` defaults to today)."""
    return await forward_as(
        request,
        GpraDueList,
        "eligibility",
        f"/clients/{client_id}/gpra/due",
        principal=principal,
        params={"on": on.isoformat() if on else None},
    )


@router.post(
    "/{client_id}/drug-tests",
    status_code=201,
    response_model=DrugTestAnswer,
    operation_id="recordDrugTest",
)
async def drug_test(
    client_id: PathId,
    body: RecordDrugTest,
    request: Request,
    principal: Principal = assessor_or_provider,
) -> DrugTestAnswer | Response:
    """Record a drug test (provider or assessor)."""
    return await _post(request, DrugTestAnswer, f"/clients/{client_id}/drug-tests", principal, body)
