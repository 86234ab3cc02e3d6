"""Client use cases (SPEC §3.1, §3.2): intake with identity matching, eligibility
determinations, religious objections and choice lists. One transaction each; events go
to the outbox with the state change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from contracts.api.clients import DetermineEligibility, Intake, ReligiousObjections
from contracts.clients import (
    ChoiceExceptionRecorded,
    ChoiceExceptionRecordedData,
    ChoiceListOffered,
    ChoiceListOfferedData,
    ClientEnrolled,
    ClientEnrolledData,
    EligibilityDetermined,
    EligibilityDeterminedData,
)
from contracts.topics import CLIENTS
from services.eligibility.adapters.orm import (
    choice_exceptions,
    choice_lists_offered,
    clients,
    eligibility_determinations,
    identity_reviews,
    providers,
    religious_objections,
)
from services.eligibility.domain.choice import ChoiceList, Objections, ProviderFacts, choice_list
from services.eligibility.domain.eligibility import outcome_contradictions
from services.eligibility.domain.errors import (
    ClientNotFoundError,
    DeterminationInconsistentError,
)
from services.eligibility.domain.identity import (
    Identity,
    KnownClient,
    is_minor,
    match_identity,
    ssn_digits,
    ssn_key,
    turns_18_in,
)
from services.eligibility.service_layer.caller import not_after
from services.kit.actor import Actor
from services.kit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IntakeResult:
    """What intake answers: the id, whether the person was known, any review flag."""

    client_id: str
    known: bool
    review_flag: bool
    review_reason: str | None
    ssn_last4: str | None


def new_client_id() -> str:
    """A fresh pseudonymous client id (no PHI in it)."""
    return f"CL-{uuid.uuid4().hex[:12].upper()}"


async def ensure_client(uow: UnitOfWork, client_id: str) -> None:
    """Raise :class:`ClientNotFoundError` unless ``client_id`` is enrolled."""
    found = await uow.session.scalar(
        select(clients.c.client_id).where(clients.c.client_id == client_id)
    )
    if found is None:
        raise ClientNotFoundError()


async def enrol(
    uow: UnitOfWork, command: Intake, caller: Actor, secret_key: str, on: date
) -> IntakeResult:
    """Intake: find a previous participant before creating a new one (seed 003 App. E §3).

    Matching is :func:`match_identity`; a possible duplicate is recorded in
    ``identity_reviews`` for a human. The SSN is kept only as a keyed hash and last four
    digits; ``ClientEnrolled`` carries neither names nor SSN nor birth date (SPEC §3.1).
    """
    digits = ssn_digits(command.ssn) if command.ssn else None
    identity = Identity(
        given_name=command.given_name,
        family_name=command.family_name,
        date_of_birth=command.date_of_birth,
        ssn_key=ssn_key(secret_key, digits) if digits else None,
    )
    same_name = and_(
        clients.c.name_key == identity.name_key,
        clients.c.date_of_birth == identity.date_of_birth,
    )
    condition = (
        same_name
        if identity.ssn_key is None
        else or_(clients.c.ssn_key == identity.ssn_key, same_name)
    )
    rows = (await uow.session.execute(select(clients).where(condition))).all()
    known = [KnownClient(r.client_id, r.name_key, r.date_of_birth, r.ssn_key) for r in rows]
    match = match_identity(identity, known)
    now = datetime.now(UTC)
    client_id = match.returning or new_client_id()
    if match.returning is None:
        await uow.session.execute(
            clients.insert().values(
                client_id=client_id,
                given_name=command.given_name.strip(),
                family_name=command.family_name.strip(),
                name_key=identity.name_key,
                date_of_birth=command.date_of_birth,
                ssn_key=identity.ssn_key,
                ssn_last4=digits[-4:] if digits else None,
                county=command.county,
                created_at=now,
            )
        )
        for other in match.review_with:
            await uow.session.execute(
                identity_reviews.insert().values(
                    review_id=str(uuid.uuid4()),
                    client_id=client_id,
                    matched_client_id=other,
                    reason=match.review_reason,
                    status="open",
                    created_at=now,
                )
            )
    if command.religious_objections is not None:
        await save_objections(uow, client_id, command.religious_objections, caller)
    data = ClientEnrolledData(
        client_id=client_id,
        returning=match.returning is not None,
        minor=is_minor(command.date_of_birth, on),
        turns_18_in=turns_18_in(command.date_of_birth, on),
        county=command.county,
        enrolled_on=on,
    )
    uow.emit(CLIENTS, ClientEnrolled(subject=client_id, data=data))
    return IntakeResult(
        client_id=client_id,
        known=match.returning is not None,
        review_flag=bool(match.review_with),
        review_reason=match.review_reason,
        ssn_last4=digits[-4:] if digits else None,
    )


async def determine_eligibility(
    uow: UnitOfWork, client_id: str, command: DetermineEligibility, caller: Actor, on: date
) -> EligibilityDeterminedData:
    """Record a financial eligibility determination: inputs, outcome, who, when (SPEC
    §3.1); publish ``EligibilityDetermined`` (an eligible one gets the 30-day assessment
    voucher from the vouchers service, seed 003 App. E §4). Inputs stay here."""
    await ensure_client(uow, client_id)
    determined_on = command.determined_on or on
    not_after(determined_on, on)
    contradictions = outcome_contradictions(command.inputs, command.eligible)
    if contradictions:
        raise DeterminationInconsistentError(
            problems=[{"code": code, "item": "inputs"} for code in contradictions]
        )
    determination_id = str(uuid.uuid4())
    await uow.session.execute(
        eligibility_determinations.insert().values(
            determination_id=determination_id,
            client_id=client_id,
            inputs=command.inputs.model_dump(mode="json"),
            eligible=command.eligible,
            determined_on=determined_on,
            determined_by=caller.token_id,
            organisation_id=caller.organisation_id,
            recorded_at=datetime.now(UTC),
        )
    )
    data = EligibilityDeterminedData(
        client_id=client_id,
        determination_id=determination_id,
        eligible=command.eligible,
        determined_on=determined_on,
        determined_by=caller.token_id,
        assessor_organisation_id=caller.organisation_id,
    )
    uow.emit(CLIENTS, EligibilityDetermined(subject=client_id, data=data))
    return data


async def latest_eligibility(uow: UnitOfWork, client_id: str) -> bool:
    """The outcome of the client's most recent determination (False when none)."""
    row = (
        await uow.session.execute(
            select(eligibility_determinations.c.eligible)
            .where(eligibility_determinations.c.client_id == client_id)
            .order_by(
                eligibility_determinations.c.determined_on.desc(),
                eligibility_determinations.c.recorded_at.desc(),
            )
            .limit(1)
        )
    ).first()
    return bool(row and row.eligible)


async def save_objections(
    uow: UnitOfWork, client_id: str, command: ReligiousObjections, caller: Actor
) -> None:
    """Record (replace) the client's religious objections (seed 003 App. C §1a)."""
    values = {
        "provider_ids": sorted(set(command.provider_ids)),
        "affiliations": sorted(set(command.affiliations)),
        "all_faith_based": command.all_faith_based,
        "recorded_by": caller.token_id,
        "updated_at": datetime.now(UTC),
    }
    updated = await uow.session.execute(
        religious_objections.update()
        .where(religious_objections.c.client_id == client_id)
        .values(**values)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        await uow.session.execute(
            religious_objections.insert().values(client_id=client_id, **values)
        )


async def record_objections(
    uow: UnitOfWork, client_id: str, command: ReligiousObjections, caller: Actor
) -> None:
    """``POST /clients/{id}/religious-objections`` for an enrolled client."""
    await ensure_client(uow, client_id)
    await save_objections(uow, client_id, command, caller)


async def load_objections(uow: UnitOfWork, client_id: str) -> Objections:
    """The client's objections as the choice rule reads them."""
    row = (
        await uow.session.execute(
            select(religious_objections).where(religious_objections.c.client_id == client_id)
        )
    ).first()
    if row is None:
        return Objections()
    return Objections(
        provider_ids=frozenset(row.provider_ids),
        affiliations=frozenset(row.affiliations),
        all_faith_based=row.all_faith_based,
    )


async def choices(
    uow: UnitOfWork,
    client_id: str,
    service_code: str,
    county: str | None,
    caller: Actor,
    on: date | None = None,
) -> dict[str, Any]:
    """The client's choice list for a service (SPEC §3.2; seed 003 App. C §1a).

    When the network cannot meet the rule a choice exception is recorded (table
    ``choice_exceptions``, and ``ChoiceExceptionRecorded`` for the reports) and the
    answer says so. The assessor's organisation is
    returned and each option equal to it is marked as a self-referral.
    """
    await ensure_client(uow, client_id)
    verdict, exception_id = await _choice_verdict(uow, client_id, service_code, county, caller, on)
    return _choice_answer(client_id, verdict, caller, exception_id)


async def offer_choices(
    uow: UnitOfWork,
    client_id: str,
    service_code: str,
    county: str | None,
    caller: Actor,
    on: date | None = None,
) -> dict[str, Any]:
    """``POST /clients/{id}/choice-lists``: offer the client the choice list for a
    service and record the offer (seed 003 App. E §4(2) "Assessment staff provided the
    client with a recommendation regarding level of care and a list of the various
    eligible providers. The client selected a provider").

    The list is :func:`choices`' (a choice exception recorded when the rule cannot be
    met); the offer is kept in ``choice_lists_offered`` and published as
    ``ChoiceListOffered`` (ids only), from which the vouchers service accepts a
    selection only of a provider on the latest list offered for the service, or any
    eligible one when that offer recorded a choice exception.

    The client need not be enrolled here: a voucher is issued for a client id without
    eligibility checking it (``POST /v1/vouchers``), and the offer follows the voucher.
    """
    verdict, exception_id = await _choice_verdict(uow, client_id, service_code, county, caller, on)
    offer_id = str(uuid.uuid4())
    offered_at = datetime.now(UTC)
    provider_ids = [o.provider.provider_id for o in verdict.options]
    await uow.session.execute(
        choice_lists_offered.insert().values(
            offer_id=offer_id,
            client_id=client_id,
            service_code=service_code,
            county=county,
            provider_ids=provider_ids,
            choice_exception_id=exception_id,
            offered_by=caller.token_id,
            organisation_id=caller.organisation_id,
            offered_at=offered_at,
        )
    )
    uow.emit(
        CLIENTS,
        ChoiceListOffered(
            subject=client_id,
            data=ChoiceListOfferedData(
                client_id=client_id,
                offer_id=offer_id,
                service_code=service_code,
                county=county,
                provider_ids=provider_ids,
                choice_exception_id=exception_id,
                offered_at=offered_at,
                organisation_id=caller.organisation_id,
            ),
        ),
    )
    answer = _choice_answer(client_id, verdict, caller, exception_id)
    return {**answer, "offer_id": offer_id, "offered_at": offered_at}


async def _choice_verdict(
    uow: UnitOfWork,
    client_id: str,
    service_code: str,
    county: str | None,
    caller: Actor,
    on: date | None,
) -> tuple[ChoiceList, str | None]:
    """The choice list and, when the rule is not met, the choice exception recorded."""
    rows = (await uow.session.execute(select(providers))).all()
    facts = [
        ProviderFacts(
            provider_id=r.provider_id,
            name=r.name,
            status=r.status,
            services=tuple(r.services),
            counties=tuple(r.counties),
            faith_based=r.faith_based,
            religious_affiliation=r.religious_affiliation,
            ineligible_from=r.ineligible_from,
        )
        for r in rows
    ]
    verdict = choice_list(
        facts,
        service_code,
        await load_objections(uow, client_id),
        county,
        on or datetime.now(UTC).date(),
    )
    exception_id = None
    if not verdict.satisfied:
        exception_id = str(uuid.uuid4())
        recorded_at = datetime.now(UTC)
        uow.emit(
            CLIENTS,
            ChoiceExceptionRecorded(
                subject=client_id,
                data=ChoiceExceptionRecordedData(
                    client_id=client_id,
                    exception_id=exception_id,
                    service_code=service_code,
                    county=county,
                    shortfalls=list(verdict.shortfalls),
                    offered=[o.provider.provider_id for o in verdict.options],
                    recorded_on=recorded_at.date(),
                    organisation_id=caller.organisation_id,
                ),
            ),
        )
        await uow.session.execute(
            choice_exceptions.insert().values(
                exception_id=exception_id,
                client_id=client_id,
                service_code=service_code,
                county=county,
                shortfalls=list(verdict.shortfalls),
                offered=[o.provider.provider_id for o in verdict.options],
                recorded_by=caller.token_id,
                organisation_id=caller.organisation_id,
                recorded_at=recorded_at,
            )
        )
    return verdict, exception_id


def _choice_answer(
    client_id: str, verdict: ChoiceList, caller: Actor, exception_id: str | None
) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "service_code": verdict.service_code,
        "satisfied": verdict.satisfied,
        "choice_exception": None
        if exception_id is None
        else {"exception_id": exception_id, "shortfalls": list(verdict.shortfalls)},
        "assessor_organisation_id": caller.organisation_id,
        "providers": [
            {
                "provider_id": o.provider.provider_id,
                "name": o.provider.name,
                "counties": list(o.provider.counties),
                "faith_based": o.provider.faith_based,
                "religious_affiliation": o.provider.religious_affiliation,
                "religious_objection": o.objected,
                "self_referral": caller.organisation_id is not None
                and o.provider.provider_id == caller.organisation_id,
            }
            for o in verdict.options
        ],
    }
