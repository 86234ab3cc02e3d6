"""Outcome data use cases (seed 003 App. C §5a; §II footnote 2): GPRA interviews, which
are due, and drug tests. Answers stay in this database; events carry only the facts
other services decide on (kind, date, completeness; test date, random, result)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from contracts.api.clients import GpraInterview, RecordDrugTest
from contracts.clients import (
    DrugTestRecorded,
    DrugTestRecordedData,
    GpraOutcomes,
    GpraRecorded,
    GpraRecordedData,
    RetentionSessions,
)
from contracts.topics import CLIENTS
from services.eligibility.adapters.orm import assessments, drug_tests, gpra_interviews
from services.eligibility.domain.errors import GpraInvalidError
from services.eligibility.domain.gpra import interview_problems, is_complete
from services.eligibility.domain.gpra_schedule import (
    Episode,
    RecordedInterview,
    interviews_due,
)
from services.eligibility.service_layer.caller import acting_provider, not_after
from services.eligibility.service_layer.clients import ensure_client
from services.kit.actor import Actor
from services.kit.unit_of_work import UnitOfWork


def gpra_outcomes(interview: GpraInterview) -> GpraOutcomes:
    """The interview's outcome indicators for the GPRA report (seed 003 §VI-3.1, App. C
    §5a; SPEC §3.6), each null when its domain was not answered:

    - abstinent (domain 1): item 1.1 a (any alcohol) and 1.1 c (illegal drugs) are both
      0 days; App. C note 1 names abstinence the primary outcome measure.
    - employed or in school (domain 2): item 2.1 full or part time, or item 2.3 enrolled
      full or part time.
    - no arrests (domain 3): item 3.1 is 0.
    - housed (domain 4): item 4.1 is dependent or independent living (not homeless).
    - social support (domain 5): any of items 5.1-5.4 answered yes.
    - retention (domain 7): item 7.1 sessions per category, 7.2 2.a and 2.b dates.

    Access/capacity (domain 6) is a program count, not a client's answer: reporting
    derives it from the voucher and provider topics.
    """
    use = interview.alcohol_drug_use
    work = interview.employment_education
    crime = interview.crime_criminal_justice
    family = interview.family_living_conditions
    support = interview.social_support
    retention = interview.retention
    return GpraOutcomes(
        abstinent=None if use is None else use.any_alcohol == 0 and use.illegal_drugs == 0,
        alcohol_days=None if use is None else use.any_alcohol,
        illegal_drug_days=None if use is None else use.illegal_drugs,
        employed_or_in_school=None
        if work is None
        else work.employment in ("full_time", "part_time")
        or work.education in ("enrolled_full_time", "enrolled_part_time"),
        no_arrests=None if crime is None else crime.arrests == 0,
        housed=None if family is None else family.living != "homeless",
        social_support=None
        if support is None
        else support.self_help_groups
        or support.faith_recovery_groups
        or support.other_recovery_organisations
        or support.supportive_family_friends,
        sessions=[
            RetentionSessions(category=category, sessions=count)
            for category, count in sorted((retention.sessions if retention else {}).items())
        ],
        last_service_on=retention.last_service_date if retention else None,
        discharged_on=retention.discharge_date if retention else None,
    )


async def record_gpra(
    uow: UnitOfWork, client_id: str, interview: GpraInterview, caller: Actor, on: date
) -> dict[str, Any]:
    """Record a GPRA interview after checking every item rule (seed 003 App. C §5a);
    publish ``GpraRecorded`` with its completeness (payments releases the holdback on a
    complete discharge interview, SPEC §3.5). A provider reports for itself."""
    await ensure_client(uow, client_id)
    not_after(interview.conducted_on, on)
    problems = interview_problems(interview)
    if problems:
        raise GpraInvalidError(problems=[{"code": p.code, "item": p.item} for p in problems])
    provider_id = acting_provider(caller, interview.provider_id)
    interview_id = str(uuid.uuid4())
    complete = is_complete(interview)
    await uow.session.execute(
        gpra_interviews.insert().values(
            interview_id=interview_id,
            client_id=client_id,
            kind=interview.kind,
            conducted_on=interview.conducted_on,
            complete=complete,
            provider_id=provider_id,
            answers=interview.model_dump(mode="json", exclude={"kind", "conducted_on"}),
            recorded_by=caller.token_id,
            recorded_at=datetime.now(UTC),
        )
    )
    data = GpraRecordedData(
        client_id=client_id,
        interview_id=interview_id,
        kind=interview.kind,
        conducted_on=interview.conducted_on,
        complete=complete,
        provider_id=provider_id,
        discharge_reason=interview.retention.discharge_reason if interview.retention else None,
        brief_intervention=interview.brief_intervention,
        outcomes=gpra_outcomes(interview),
    )
    uow.emit(CLIENTS, GpraRecorded(subject=client_id, data=data))
    return data.model_dump(mode="json")


async def gpra_due(uow: UnitOfWork, client_id: str, on: date) -> dict[str, Any]:
    """The GPRA interviews the client owes on ``on``: due, overdue and upcoming (seed 003
    App. C §5a notes 1 and 6; rules in :func:`interviews_due`)."""
    await ensure_client(uow, client_id)
    episodes = [
        Episode(r.case_number, r.assessed_on)
        for r in (
            await uow.session.execute(
                select(assessments.c.case_number, assessments.c.assessed_on).where(
                    assessments.c.client_id == client_id
                )
            )
        ).all()
    ]
    recorded = [
        RecordedInterview(r.kind, r.conducted_on)
        for r in (
            await uow.session.execute(
                select(gpra_interviews.c.kind, gpra_interviews.c.conducted_on).where(
                    gpra_interviews.c.client_id == client_id
                )
            )
        ).all()
    ]
    owed = interviews_due(episodes, recorded, on)
    return {
        "client_id": client_id,
        "today": on.isoformat(),
        "interviews": [
            {
                "case_number": d.case_number,
                "kind": d.kind,
                "opens_on": d.opens_on.isoformat(),
                "due_by": d.due_by.isoformat(),
                "status": d.status,
            }
            for d in owed
        ],
        "overdue": sum(1 for d in owed if d.status == "overdue"),
    }


async def record_drug_test(
    uow: UnitOfWork, client_id: str, command: RecordDrugTest, caller: Actor, on: date
) -> DrugTestRecordedData:
    """Record a drug test: date, random or not, result (seed 003 §II footnote 2: the
    successful-completion incentive looks at the last four random tests); publish
    ``DrugTestRecorded``. A provider reports for itself."""
    await ensure_client(uow, client_id)
    not_after(command.tested_on, on)
    provider_id = acting_provider(caller, command.provider_id)
    test_id = str(uuid.uuid4())
    await uow.session.execute(
        drug_tests.insert().values(
            test_id=test_id,
            client_id=client_id,
            tested_on=command.tested_on,
            random=command.random,
            result=command.result,
            provider_id=provider_id,
            recorded_by=caller.token_id,
            recorded_at=datetime.now(UTC),
        )
    )
    data = DrugTestRecordedData(
        client_id=client_id,
        test_id=test_id,
        tested_on=command.tested_on,
        random=command.random,
        result=command.result,
        provider_id=provider_id,
    )
    uow.emit(CLIENTS, DrugTestRecorded(subject=client_id, data=data))
    return data
