"""Eligibility's internal client routes (called by the gateway, which authenticates and
checks roles; the caller arrives as a signed ``X-ATR-Caller`` assertion, verified for
every route by the service kit). Routes parse, delegate to a
use case in one unit of work, and reply."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request

from contracts.api.clients import (
    Assess,
    ChangeTreatmentStatus,
    DetermineEligibility,
    GpraInterview,
    Intake,
    RecordConsent,
    RecordDrugTest,
    ReligiousObjections,
)
from services.eligibility.domain.errors import ConsentRequiredError
from services.eligibility.service_layer import assessments as assessment_cases
from services.eligibility.service_layer import clients as client_cases
from services.eligibility.service_layer import outcomes as outcome_cases
from services.kit.actor import Actor, current_actor

router = APIRouter(prefix="/clients")
CURRENT_ACTOR = Depends(current_actor)


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _today(request: Request) -> date:
    return request.app.state.clock.today()  # type: ignore[no-any-return]


def _secret(request: Request) -> str:
    return str(_runtime(request).settings.ssn_hash_key)


@router.post("", status_code=201)
async def enrol(body: Intake, request: Request, actor: Actor = CURRENT_ACTOR) -> dict[str, Any]:
    """Intake: the existing client id for a returning person, else a new one."""
    async with _runtime(request).unit_of_work() as uow:
        result = await client_cases.enrol(uow, body, actor, _secret(request), _today(request))
        await uow.commit()
    return {
        "client_id": result.client_id,
        "known": result.known,
        "review_flag": result.review_flag,
        "review_reason": result.review_reason,
        "ssn_last4": result.ssn_last4,
    }


@router.post("/{client_id}/eligibility", status_code=201)
async def determine(
    client_id: str, body: DetermineEligibility, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record an eligibility determination."""
    async with _runtime(request).unit_of_work() as uow:
        data = await client_cases.determine_eligibility(
            uow, client_id, body, actor, _today(request)
        )
        await uow.commit()
    return data.model_dump(mode="json")


@router.post("/{client_id}/religious-objections", status_code=201)
async def objections(
    client_id: str, body: ReligiousObjections, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record (replace) the client's religious objections."""
    async with _runtime(request).unit_of_work() as uow:
        await client_cases.record_objections(uow, client_id, body, actor)
        await uow.commit()
    return {"client_id": client_id, **body.model_dump(mode="json")}


@router.get("/{client_id}/choices")
async def choices(
    client_id: str,
    service: str,
    request: Request,
    actor: Actor = CURRENT_ACTOR,
    county: str | None = None,
) -> Any:
    """The choice list for one service; records a choice exception when unmet."""
    async with _runtime(request).unit_of_work() as uow:
        answer = await client_cases.choices(uow, client_id, service, county, actor)
        await uow.commit()
    return answer


@router.post("/{client_id}/assessments", status_code=201)
async def assess(
    client_id: str, body: Assess, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record an assessment (and its GPRA intake when given)."""
    async with _runtime(request).unit_of_work() as uow:
        answer = await assessment_cases.assess(uow, client_id, body, actor, _today(request))
        await uow.commit()
    return answer


@router.post("/{client_id}/treatment-status", status_code=201)
async def treatment_status(
    client_id: str, body: ChangeTreatmentStatus, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record the clinical treatment status from a date on."""
    async with _runtime(request).unit_of_work() as uow:
        data = await assessment_cases.change_treatment_status(
            uow, client_id, body, actor, _today(request)
        )
        await uow.commit()
    return data.model_dump(mode="json")


@router.post("/{client_id}/consents", status_code=201)
async def consent(
    client_id: str, body: RecordConsent, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record consent to disclose to one provider."""
    async with _runtime(request).unit_of_work() as uow:
        answer = await assessment_cases.record_consent(uow, client_id, body, actor, _today(request))
        await uow.commit()
    return answer


@router.post("/{client_id}/consents/{consent_id}/revocation", status_code=204)
async def revoke(
    client_id: str, consent_id: str, request: Request, actor: Actor = CURRENT_ACTOR
) -> None:
    """Revoke a consent from today on."""
    async with _runtime(request).unit_of_work() as uow:
        await assessment_cases.revoke_consent(uow, client_id, consent_id, _today(request))
        await uow.commit()


@router.get("/{client_id}/assessment-summary")
async def summary(client_id: str, request: Request, actor: Actor = CURRENT_ACTOR) -> Any:
    """The assessment summary for the calling provider, only with consent (else 403)."""
    async with _runtime(request).unit_of_work() as uow:
        answer = await assessment_cases.assessment_summary(uow, client_id, actor, _today(request))
        await uow.commit()
    if answer is None:
        raise ConsentRequiredError()
    return answer


@router.post("/{client_id}/gpra", status_code=201)
async def gpra(
    client_id: str, body: GpraInterview, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record a GPRA interview."""
    async with _runtime(request).unit_of_work() as uow:
        answer = await outcome_cases.record_gpra(uow, client_id, body, actor, _today(request))
        await uow.commit()
    return answer


@router.get("/{client_id}/gpra/due")
async def gpra_due(
    client_id: str, request: Request, actor: Actor = CURRENT_ACTOR, on: date | None = None
) -> Any:
    """Interviews due, overdue and upcoming on ``on`` (default today)."""
    async with _runtime(request).unit_of_work() as uow:
        return await outcome_cases.gpra_due(uow, client_id, on or _today(request))


@router.post("/{client_id}/drug-tests", status_code=201)
async def drug_test(
    client_id: str, body: RecordDrugTest, request: Request, actor: Actor = CURRENT_ACTOR
) -> Any:
    """Record a drug test."""
    async with _runtime(request).unit_of_work() as uow:
        data = await outcome_cases.record_drug_test(uow, client_id, body, actor, _today(request))
        await uow.commit()
    return data.model_dump(mode="json")
