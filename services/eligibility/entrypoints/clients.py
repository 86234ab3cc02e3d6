"""Eligibility's internal client routes (called by the gateway, which authenticates and
checks roles; the caller arrives as a signed ``X-ATR-Caller`` assertion, verified for
every route by the service kit). Routes parse, delegate to a
use case in one unit of work, and reply."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response

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
from services.eligibility.domain.errors import ConsentRequiredError
from services.eligibility.service_layer import assessments as assessment_cases
from services.eligibility.service_layer import clients as client_cases
from services.eligibility.service_layer import outcomes as outcome_cases
from services.kit.deps import CallerDep, SettingsDep, UnitOfWorkDep
from services.kit.http import validation_problem
from services.kit.program import active_catalog

router = APIRouter(prefix="/clients")


def _today(request: Request) -> date:
    return request.app.state.clock.today()  # type: ignore[no-any-return]


@router.post("", status_code=201, response_model=IntakeAnswer, operation_id="enrolClient")
async def enrol(
    body: Intake, request: Request, settings: SettingsDep, uow: UnitOfWorkDep, actor: CallerDep
) -> IntakeAnswer:
    """Intake: the existing client id for a returning person, else a new one."""
    result = await client_cases.enrol(uow, body, actor, str(settings.ssn_hash_key), _today(request))
    await uow.commit()
    return IntakeAnswer(
        client_id=result.client_id,
        known=result.known,
        review_flag=result.review_flag,
        review_reason=result.review_reason,
        ssn_last4=result.ssn_last4,
    )


@router.post(
    "/{client_id}/eligibility",
    status_code=201,
    response_model=EligibilityAnswer,
    operation_id="determineEligibility",
)
async def determine(
    client_id: str,
    body: DetermineEligibility,
    request: Request,
    uow: UnitOfWorkDep,
    actor: CallerDep,
) -> object:
    """Record an eligibility determination."""
    data = await client_cases.determine_eligibility(uow, client_id, body, actor, _today(request))
    await uow.commit()
    return data


@router.post(
    "/{client_id}/religious-objections",
    status_code=201,
    response_model=ObjectionsAnswer,
    operation_id="recordReligiousObjections",
)
async def objections(
    client_id: str, body: ReligiousObjections, uow: UnitOfWorkDep, actor: CallerDep
) -> ObjectionsAnswer:
    """Record (replace) the client's religious objections."""
    await client_cases.record_objections(uow, client_id, body, actor)
    await uow.commit()
    return ObjectionsAnswer(client_id=client_id, **body.model_dump(mode="json"))


@router.get("/{client_id}/choices", response_model=ChoiceList, operation_id="listChoices")
async def choices(
    client_id: str,
    service: str,
    request: Request,
    uow: UnitOfWorkDep,
    actor: CallerDep,
    county: str | None = None,
) -> object:
    """The choice list for one service; records a choice exception when unmet."""
    answer = await client_cases.choices(uow, client_id, service, county, actor, _today(request))
    await uow.commit()
    return answer


@router.post(
    "/{client_id}/choice-lists",
    status_code=201,
    response_model=OfferedChoiceList,
    operation_id="offerChoiceList",
)
async def offer_choices(
    client_id: str, body: OfferChoiceList, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> object:
    """Offer and record the choice list for one service (seed 003 App. E §4(2)); the
    voucher selection must then be one of its providers."""
    answer = await client_cases.offer_choices(
        uow, client_id, body.service_code, body.county, actor, _today(request)
    )
    await uow.commit()
    return answer


@router.post(
    "/{client_id}/assessments",
    status_code=201,
    response_model=AssessmentAnswer,
    operation_id="assessClient",
)
async def assess(
    client_id: str, body: Assess, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> object:
    """Record an assessment (and its GPRA intake when given). Every authorised service
    must be a priced service of the active program (422 naming the one that is not): the
    service voucher is made of them (SPEC §3.3), and one the voucher cannot carry would
    otherwise be dropped from it while the assessment answers 201."""
    catalog = active_catalog(request.app.state.runtime.settings)
    errors = [
        {
            "loc": ["body", "authorized_services", index, "service_code"],
            "msg": refusal,
            "type": "value_error",
        }
        for index, service in enumerate(body.authorized_services)
        if (refusal := catalog.voucher_refusal(service.service_code, body.attributes))
    ]
    if errors:
        return validation_problem(errors)
    answer = await assessment_cases.assess(uow, client_id, body, actor, _today(request))
    await uow.commit()
    return answer


@router.post(
    "/{client_id}/treatment-status",
    status_code=201,
    response_model=TreatmentStatusAnswer,
    operation_id="changeTreatmentStatus",
)
async def treatment_status(
    client_id: str,
    body: ChangeTreatmentStatus,
    request: Request,
    uow: UnitOfWorkDep,
    actor: CallerDep,
) -> object:
    """Record the clinical treatment status from a date on."""
    data = await assessment_cases.change_treatment_status(
        uow, client_id, body, actor, _today(request)
    )
    await uow.commit()
    return data


@router.post(
    "/{client_id}/consents",
    status_code=201,
    response_model=ConsentAnswer,
    operation_id="recordConsent",
)
async def consent(
    client_id: str, body: RecordConsent, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> object:
    """Record consent to disclose to one provider."""
    answer = await assessment_cases.record_consent(uow, client_id, body, actor, _today(request))
    await uow.commit()
    return answer


@router.post(
    "/{client_id}/consents/{consent_id}/revocation",
    status_code=204,
    operation_id="revokeConsent",
)
async def revoke(
    client_id: str, consent_id: str, request: Request, uow: UnitOfWorkDep, _actor: CallerDep
) -> Response:
    """Revoke a consent from today on."""
    await assessment_cases.revoke_consent(uow, client_id, consent_id, _today(request))
    await uow.commit()
    return Response(status_code=204)


@router.get(
    "/{client_id}/assessment-summary",
    response_model=AssessmentSummary,
    operation_id="readAssessmentSummary",
)
async def summary(client_id: str, request: Request, uow: UnitOfWorkDep, actor: CallerDep) -> object:
    """The assessment summary for the calling provider, only with consent (else 403)."""
    answer = await assessment_cases.assessment_summary(uow, client_id, actor, _today(request))
    await uow.commit()
    if answer is None:
        raise ConsentRequiredError()
    return answer


@router.post(
    "/{client_id}/gpra",
    status_code=201,
    response_model=GpraRecordedAnswer,
    operation_id="recordGpraInterview",
)
async def gpra(
    client_id: str, body: GpraInterview, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> object:
    """Record a GPRA interview."""
    answer = await outcome_cases.record_gpra(uow, client_id, body, actor, _today(request))
    await uow.commit()
    return answer


@router.get("/{client_id}/gpra/due", response_model=GpraDueList, operation_id="listGpraDue")
async def gpra_due(
    client_id: str,
    request: Request,
    uow: UnitOfWorkDep,
    _actor: CallerDep,
    on: date | None = None,
) -> object:
    """Interviews due, overdue and upcoming on ``on`` (default today)."""
    return await outcome_cases.gpra_due(uow, client_id, on or _today(request))


@router.post(
    "/{client_id}/drug-tests",
    status_code=201,
    response_model=DrugTestAnswer,
    operation_id="recordDrugTest",
)
async def drug_test(
    client_id: str, body: RecordDrugTest, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> object:
    """Record a drug test."""
    data = await outcome_cases.record_drug_test(uow, client_id, body, actor, _today(request))
    await uow.commit()
    return data
