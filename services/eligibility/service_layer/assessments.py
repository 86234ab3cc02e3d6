"""Assessment use cases (seed 003 App. D, App. E §3; SPEC §3.1): the assessment with its
case number, clinical treatment status over time, consent and the consent-gated summary.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from contracts.api.clients import Assess, ChangeTreatmentStatus, RecordConsent
from contracts.clients import (
    ClientAssessed,
    ClientAssessedData,
    TreatmentStatus,
    TreatmentStatusChanged,
    TreatmentStatusChangedData,
)
from contracts.topics import CLIENTS
from services.eligibility.adapters.orm import (
    assessments,
    clients,
    consents,
    disclosures,
    eligibility_determinations,
    providers,
    treatment_statuses,
)
from services.eligibility.domain.assessment_voucher import (
    Determination,
    notice_precedes_assessment,
    redeemable_voucher,
)
from services.eligibility.domain.consent import Consent, consent_for
from services.eligibility.domain.errors import (
    AssessmentNotFoundError,
    AssessmentVoucherNotValidError,
    ChoiceNoticeInvalidError,
    ClientNotEligibleError,
    ConsentNotFoundError,
    GpraInvalidError,
    ProviderNotFoundError,
)
from services.eligibility.service_layer.caller import acting_provider, not_after
from services.eligibility.service_layer.clients import ensure_client, latest_eligibility
from services.eligibility.service_layer.outcomes import record_gpra
from services.kit.actor import Actor
from services.kit.unit_of_work import UnitOfWork

SUMMARY = "assessment_summary"


async def assess(
    uow: UnitOfWork, client_id: str, command: Assess, caller: Actor, on: date
) -> dict[str, Any]:
    """Record an assessment (seed 003 App. D; App. E §3) and publish ``ClientAssessed``.

    Needs an eligible determination first (App. E §4: the assessment follows the
    assessment voucher), and the assessment date must fall within the 30 days of one
    (App. E §4 "30-day vouchers for an assessment"; ``domain.assessment_voucher``;
    409 ``ASSESSMENT_VOUCHER_NOT_VALID``). The written notice of the right to choose,
    including "the right to an alternative provider to whom the client had no religious
    objection" (App. E §3), is recorded with it: required by the request, not after the
    assessment day (422 naming ``religious_objection_notice_given_at``).
    The case number "counts the client's assessments" (App. E §3).
    The treatment status is recorded from the assessment date (``TreatmentStatusChanged``);
    a GPRA intake given with it is recorded as ``POST /gpra`` would (App. C §5a note 1).
    Diagnosis, instrument and scores stay here: the event carries no clinical detail.
    """
    await ensure_client(uow, client_id)
    if not await latest_eligibility(uow, client_id):
        raise ClientNotEligibleError()
    assessed_on = command.assessed_on or on
    not_after(assessed_on, on)
    notice_at = command.religious_objection_notice_given_at
    not_after(notice_at.astimezone(UTC).date(), on)
    if not notice_precedes_assessment(notice_at.astimezone(UTC).date(), assessed_on):
        raise ChoiceNoticeInvalidError(
            problems=[{"code": "AFTER_ASSESSMENT", "item": "religious_objection_notice_given_at"}]
        )
    if redeemable_voucher(await _determinations(uow, client_id), assessed_on) is None:
        raise AssessmentVoucherNotValidError(
            problems=[{"code": "NO_ASSESSMENT_VOUCHER_ON_DATE", "item": "assessed_on"}]
        )
    if command.gpra_intake is not None and command.gpra_intake.kind != "intake":
        raise GpraInvalidError(problems=[{"code": "NOT_INTAKE", "item": "gpra_intake.kind"}])
    count = await uow.session.scalar(
        select(func.count()).select_from(assessments).where(assessments.c.client_id == client_id)
    )
    case_number = int(count or 0) + 1
    assessment_id = str(uuid.uuid4())
    await uow.session.execute(
        assessments.insert().values(
            assessment_id=assessment_id,
            client_id=client_id,
            case_number=case_number,
            instrument=command.instrument,
            scores={k: str(v) for k, v in command.scores.items()},
            screenings=[s.model_dump(mode="json") for s in command.screenings],
            diagnosis=command.diagnosis,
            level_of_care=command.level_of_care,
            treatment_status=command.treatment_status,
            authorized_services=[s.model_dump(mode="json") for s in command.authorized_services],
            max_value=command.max_value,
            attributes=list(command.attributes),
            assessed_on=assessed_on,
            religious_objection_notice_given_at=notice_at,
            assessed_by=caller.token_id,
            organisation_id=caller.organisation_id,
            recorded_at=datetime.now(UTC),
        )
    )
    await _record_status(uow, client_id, command.treatment_status, assessed_on, None, caller)
    data = ClientAssessedData(
        client_id=client_id,
        assessment_id=assessment_id,
        case_number=case_number,
        assessed_on=assessed_on,
        level_of_care=command.level_of_care,
        treatment_status=command.treatment_status,
        authorized_services=command.authorized_services,
        max_value=command.max_value,
        attributes=list(command.attributes),
        assessor_organisation_id=caller.organisation_id,
        assessed_by=caller.token_id,
    )
    uow.emit(CLIENTS, ClientAssessed(subject=client_id, data=data))
    answer: dict[str, Any] = {
        "client_id": client_id,
        "assessment_id": assessment_id,
        "case_number": case_number,
        "assessed_on": assessed_on.isoformat(),
        "gpra_intake": None,
    }
    if command.gpra_intake is not None:
        answer["gpra_intake"] = await record_gpra(uow, client_id, command.gpra_intake, caller, on)
    return answer


async def _determinations(uow: UnitOfWork, client_id: str) -> list[Determination]:
    rows = await uow.session.execute(
        select(
            eligibility_determinations.c.determined_on, eligibility_determinations.c.eligible
        ).where(eligibility_determinations.c.client_id == client_id)
    )
    return [Determination(r.determined_on, r.eligible) for r in rows]


async def _record_status(
    uow: UnitOfWork,
    client_id: str,
    status: TreatmentStatus,
    effective_from: date,
    provider_id: str | None,
    caller: Actor,
) -> TreatmentStatusChangedData:
    await uow.session.execute(
        treatment_statuses.insert().values(
            status_id=str(uuid.uuid4()),
            client_id=client_id,
            treatment_status=status,
            effective_from=effective_from,
            provider_id=provider_id,
            recorded_by=caller.token_id,
            recorded_at=datetime.now(UTC),
        )
    )
    data = TreatmentStatusChangedData(
        client_id=client_id,
        treatment_status=status,
        effective_from=effective_from,
        reported_by=provider_id,
    )
    uow.emit(CLIENTS, TreatmentStatusChanged(subject=client_id, data=data))
    return data


async def change_treatment_status(
    uow: UnitOfWork, client_id: str, command: ChangeTreatmentStatus, caller: Actor, on: date
) -> TreatmentStatusChangedData:
    """Record the client's clinical treatment status from a date on (SPEC §3.1: none,
    level I, level I with residential support, level II, level III); a provider reports
    for itself. Publishes ``TreatmentStatusChanged`` (seed 000 level-one and residential
    rules read it)."""
    await ensure_client(uow, client_id)
    not_after(command.effective_from, on)
    provider_id = acting_provider(caller, None)
    return await _record_status(
        uow, client_id, command.treatment_status, command.effective_from, provider_id, caller
    )


async def record_consent(
    uow: UnitOfWork, client_id: str, command: RecordConsent, caller: Actor, on: date
) -> dict[str, Any]:
    """Record the client's consent to disclose to one provider (42 CFR Part 2)."""
    await ensure_client(uow, client_id)
    not_after(command.signed_on, on)
    known = await uow.session.scalar(
        select(providers.c.provider_id).where(providers.c.provider_id == command.provider_id)
    )
    if known is None:
        raise ProviderNotFoundError()
    consent_id = str(uuid.uuid4())
    await uow.session.execute(
        consents.insert().values(
            consent_id=consent_id,
            client_id=client_id,
            provider_id=command.provider_id,
            purpose=command.purpose,
            signed_on=command.signed_on,
            expires_on=command.expires_on,
            revoked_on=None,
            recorded_by=caller.token_id,
            recorded_at=datetime.now(UTC),
        )
    )
    return {"consent_id": consent_id, **command.model_dump(mode="json")}


async def revoke_consent(uow: UnitOfWork, client_id: str, consent_id: str, on: date) -> None:
    """The client revokes a consent from ``on`` (42 CFR Part 2 §2.31: revocable)."""
    result = await uow.session.execute(
        consents.update()
        .where(consents.c.client_id == client_id, consents.c.consent_id == consent_id)
        .values(revoked_on=on)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ConsentNotFoundError()


async def _log_disclosure(
    uow: UnitOfWork, client_id: str, caller: Actor, what: str, consent_id: str | None
) -> None:
    await uow.session.execute(
        disclosures.insert().values(
            disclosure_id=str(uuid.uuid4()),
            client_id=client_id,
            provider_id=caller.provider_id,
            token_id=caller.token_id,
            what=what,
            outcome="disclosed" if consent_id else "refused",
            consent_id=consent_id,
            disclosed_at=datetime.now(UTC),
        )
    )


async def assessment_summary(
    uow: UnitOfWork, client_id: str, caller: Actor, on: date
) -> dict[str, Any] | None:
    """The latest assessment's summary for the calling provider, or None when refused.

    Seed 003 App. E §3: "a summary of the assessment and disposition were made available
    electronically to the chosen provider" — only with the client's consent to disclose
    to that provider (42 CFR Part 2; SPEC §3.1). Every attempt is logged in
    ``disclosures`` (who, when, what, outcome); the caller commits even on refusal.
    """
    await ensure_client(uow, client_id)
    rows = (
        await uow.session.execute(select(consents).where(consents.c.client_id == client_id))
    ).all()
    allowed = consent_for(
        [
            Consent(r.consent_id, r.provider_id, r.purpose, r.signed_on, r.expires_on, r.revoked_on)
            for r in rows
        ],
        caller.provider_id,
        SUMMARY,
        on,
    )
    latest = (
        await uow.session.execute(
            select(assessments)
            .where(assessments.c.client_id == client_id)
            .order_by(assessments.c.case_number.desc())
            .limit(1)
        )
    ).first()
    if allowed is None:
        await _log_disclosure(uow, client_id, caller, SUMMARY, None)
        return None
    if latest is None:
        raise AssessmentNotFoundError()
    person = (
        await uow.session.execute(select(clients).where(clients.c.client_id == client_id))
    ).one()
    await _log_disclosure(
        uow, client_id, caller, f"{SUMMARY}:case {latest.case_number}", allowed.consent_id
    )
    return {
        "client_id": client_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "case_number": latest.case_number,
        "assessed_on": latest.assessed_on.isoformat(),
        "religious_objection_notice_given_at": None
        if latest.religious_objection_notice_given_at is None
        else latest.religious_objection_notice_given_at.isoformat(),
        "instrument": latest.instrument,
        "scores": latest.scores,
        "screenings": latest.screenings,
        "diagnosis": latest.diagnosis,
        "level_of_care": latest.level_of_care,
        "treatment_status": latest.treatment_status,
        "authorized_services": latest.authorized_services,
        "max_value": None if latest.max_value is None else str(latest.max_value),
        "attributes": latest.attributes,
        "consent_id": allowed.consent_id,
    }
