"""Eligibility use cases on SQLite and PostgreSQL: state, events and audit rows together
(SPEC §3.1, §3.2). The outbox is checked for PHI: none may reach Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, select

from contracts.api.clients import (
    Assess,
    DetermineEligibility,
    EligibilityInputs,
    GpraInterview,
    Intake,
    RecordConsent,
    ReligiousObjections,
)
from contracts.api.providers import RegisterProvider
from contracts.clients import ChoiceListOffered, ClientEvent, GpraRecordedData
from services.eligibility.adapters.orm import (
    choice_exceptions,
    choice_lists_offered,
    disclosures,
    identity_reviews,
    metadata,
)
from services.eligibility.domain.errors import ClientNotEligibleError, ClientNotFoundError
from services.eligibility.service_layer import assessments, clients, outcomes, providers
from services.kit.actor import Actor
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import KitTables, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from tests.eligibility.test_gpra_rules import complete
from tests.phi_fixtures import ALICE, CAROL, CAROL_NAMESAKE, FictitiousPerson, phi_strings

SECRET = "use-case-secret"
TODAY = date(2026, 9, 1)
ASSESSOR = Actor(role="assessor", token_id="tok-assessor", organisation_id="PRV-A")
PROVIDER_A = Actor(role="provider", token_id="tok-a", provider_id="PRV-A")
PROVIDER_B = Actor(role="provider", token_id="tok-b", provider_id="PRV-B")
SERVICE = "RECOVERY_MENTORING_IND"


class Service:
    def __init__(self, db: Database, tables: KitTables) -> None:
        self.db, self.tables = db, tables

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.tables)

    async def outbox_text(self) -> str:
        async with self.db.sessions() as session:
            rows = await session.scalars(select(self.tables.outbox.c.payload))
            return "\n".join(bytes(p).decode() for p in rows)

    async def count(self, table: object) -> int:
        async with self.db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Service]:
    await asyncio.to_thread(upgrade_to_head, "eligibility", database_url)
    db = Database(database_url)
    svc = Service(db, add_kit_tables(metadata))
    for pid, faith in (("PRV-A", None), ("PRV-B", "Methodist")):
        async with svc.uow() as uow:
            await providers.register_provider(
                uow,
                RegisterProvider(
                    provider_id=pid,
                    name=pid,
                    services=[SERVICE],
                    counties=["Boone"],
                    faith_based=faith is not None,
                    religious_affiliation=faith,
                ),
            )
            await uow.commit()
    try:
        yield svc
    finally:
        await db.dispose()


async def enrol(service: Service, person: FictitiousPerson) -> clients.IntakeResult:
    async with service.uow() as uow:
        result = await clients.enrol(
            uow, Intake.model_validate(person.intake()), ASSESSOR, SECRET, TODAY
        )
        await uow.commit()
    return result


async def make_eligible(service: Service, client_id: str) -> None:
    inputs = EligibilityInputs(
        annual_household_income=Decimal("12000.00"),
        household_size=1,
        state_resident=True,
        substance_use_disorder=True,
    )
    async with service.uow() as uow:
        await clients.determine_eligibility(
            uow, client_id, DetermineEligibility(inputs=inputs, eligible=True), ASSESSOR, TODAY
        )
        await uow.commit()


ASSESSMENT = Assess(
    instrument="ASI",
    diagnosis="dependence",
    level_of_care="outpatient",
    treatment_status="level_1",
    max_value=Decimal("500.00"),
    religious_objection_notice_given_at=datetime(2026, 9, 1, 9, tzinfo=UTC),
)


async def assess(service: Service, client_id: str) -> int:
    async with service.uow() as uow:
        answer = await assessments.assess(uow, client_id, ASSESSMENT, ASSESSOR, TODAY)
        await uow.commit()
    return int(answer["case_number"])


async def test_returning_person_keeps_one_id_and_namesake_is_flagged(service: Service) -> None:
    first = await enrol(service, CAROL)
    again = await enrol(service, CAROL)
    namesake = await enrol(service, CAROL_NAMESAKE)
    assert (first.known, again.known) == (False, True)
    assert again.client_id == first.client_id
    assert first.ssn_last4 == CAROL.ssn[-4:]
    assert namesake.client_id != first.client_id
    assert (namesake.known, namesake.review_flag) == (False, True)
    assert namesake.review_reason == "name_dob_match_ssn_differs"
    assert await service.count(identity_reviews) == 1


async def test_assessment_needs_eligibility_and_counts_cases(service: Service) -> None:
    client_id = (await enrol(service, ALICE)).client_id
    with pytest.raises(ClientNotEligibleError):
        await assess(service, client_id)
    await make_eligible(service, client_id)
    assert [await assess(service, client_id), await assess(service, client_id)] == [1, 2]


async def test_summary_only_with_consent_and_every_attempt_logged(service: Service) -> None:
    client_id = (await enrol(service, ALICE)).client_id
    await make_eligible(service, client_id)
    await assess(service, client_id)
    async with service.uow() as uow:
        await assessments.record_consent(
            uow, client_id, RecordConsent(provider_id="PRV-A", signed_on=TODAY), ASSESSOR, TODAY
        )
        await uow.commit()
    results = []
    for caller in (PROVIDER_A, PROVIDER_B):
        async with service.uow() as uow:
            results.append(await assessments.assessment_summary(uow, client_id, caller, TODAY))
            await uow.commit()
    assert results[0] is not None
    assert results[0]["diagnosis"] == "dependence"
    assert results[1] is None
    assert await service.count(disclosures) == 2


async def test_choice_exception_recorded_when_objections_leave_one(service: Service) -> None:
    client_id = (await enrol(service, ALICE)).client_id
    async with service.uow() as uow:
        fine = await clients.choices(uow, client_id, SERVICE, None, ASSESSOR)
        await clients.record_objections(
            uow,
            client_id,
            ReligiousObjections(provider_ids=["PRV-A"], all_faith_based=True),
            ASSESSOR,
        )
        refused = await clients.choices(uow, client_id, SERVICE, None, ASSESSOR)
        await uow.commit()
    assert fine["satisfied"]
    assert fine["choice_exception"] is None
    assert [p["self_referral"] for p in fine["providers"]] == [True, False]
    assert not refused["satisfied"]
    assert refused["choice_exception"]["shortfalls"] == ["NO_PROVIDER_WITHOUT_OBJECTION"]
    assert await service.count(choice_exceptions) == 1
    # and the reports learn of it (SPEC §3.2 "which reports show"), without PHI
    outbox = await service.outbox_text()
    assert outbox.count('"type":"atr.client.choice_exception_recorded"') == 1
    assert '"shortfalls":["NO_PROVIDER_WITHOUT_OBJECTION"]' in outbox


async def test_a_discharge_interview_tells_payments_its_reason_and_brevity(
    service: Service,
) -> None:
    """Payments counts successful completions for the incentive pool from these (seed 003
    §II footnote 2): the item 7.2 2.c discharge reason and the brief-intervention flag."""
    client_id = (await enrol(service, ALICE)).client_id
    async with service.uow() as uow:
        full = await outcomes.record_gpra(
            uow, client_id, GpraInterview.model_validate(complete("discharge")), PROVIDER_A, TODAY
        )
        brief = await outcomes.record_gpra(
            uow,
            client_id,
            GpraInterview(
                kind="discharge",
                conducted_on=TODAY,
                brief_intervention=True,
                alcohol_drug_use=complete()["alcohol_drug_use"],
            ),
            PROVIDER_A,
            TODAY,
        )
        await uow.commit()
    full_data, brief_data = GpraRecordedData(**full), GpraRecordedData(**brief)
    assert (full_data.discharge_reason, full_data.brief_intervention) == (
        "treatment_completed",
        False,
    )
    assert (brief_data.discharge_reason, brief_data.brief_intervention) == (None, True)
    assert '"discharge_reason":"treatment_completed"' in await service.outbox_text()


async def test_no_phi_in_outbox(service: Service) -> None:
    client_id = (await enrol(service, ALICE)).client_id
    await enrol(service, CAROL)
    await make_eligible(service, client_id)
    await assess(service, client_id)
    text = await service.outbox_text()
    assert "atr.client.assessed" in text
    for secret in phi_strings():
        assert secret.casefold() not in text.casefold(), secret


async def test_app_e_4_the_choice_list_offered_is_recorded_and_published(
    service: Service,
) -> None:
    """Seed 003 App. E §4(2): "Assessment staff provided the client with a
    recommendation regarding level of care and a list of the various eligible providers.
    The client selected a provider". The offer is recorded (``choice_lists_offered``) and
    published with the provider ids only, so the vouchers service can hold the selection
    to it; an offer the network cannot make whole carries its choice exception."""
    client_id = (await enrol(service, ALICE)).client_id
    async with service.uow() as uow:
        met = await clients.offer_choices(uow, client_id, SERVICE, "Boone", ASSESSOR, TODAY)
        await clients.record_objections(
            uow,
            client_id,
            ReligiousObjections(provider_ids=["PRV-A"], all_faith_based=True),
            ASSESSOR,
        )
        short = await clients.offer_choices(uow, client_id, SERVICE, None, ASSESSOR, TODAY)
        await uow.commit()
    assert [p["provider_id"] for p in met["providers"]] == ["PRV-A", "PRV-B"]
    assert met["choice_exception"] is None
    assert short["choice_exception"] is not None  # objects to both: short
    async with service.db.sessions() as session:
        rows = (
            await session.execute(
                select(
                    choice_lists_offered.c.offer_id,
                    choice_lists_offered.c.client_id,
                    choice_lists_offered.c.county,
                    choice_lists_offered.c.provider_ids,
                    choice_lists_offered.c.choice_exception_id,
                    choice_lists_offered.c.offered_by,
                ).order_by(choice_lists_offered.c.offered_at)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (met["offer_id"], client_id, "Boone", ["PRV-A", "PRV-B"], None, "tok-assessor"),
        (
            short["offer_id"],
            client_id,
            None,
            ["PRV-A", "PRV-B"],  # objected ones stay on the list, marked
            short["choice_exception"]["exception_id"],
            "tok-assessor",
        ),
    ]
    adapter: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)
    async with service.db.sessions() as session:
        payloads = await session.scalars(select(service.tables.outbox.c.payload))
        events = [
            adapter.validate_json(p)
            for p in payloads
            if b'"type":"atr.client.choice_list_offered"' in bytes(p)
        ]
    offered = [e for e in events if isinstance(e, ChoiceListOffered)]
    assert [
        (e.data.offer_id, e.data.provider_ids, e.data.choice_exception_id) for e in offered
    ] == [
        (met["offer_id"], ["PRV-A", "PRV-B"], None),
        (short["offer_id"], ["PRV-A", "PRV-B"], short["choice_exception"]["exception_id"]),
    ]
    assert all(e.subject == client_id for e in offered)
    outbox = await service.outbox_text()
    assert not [phi for phi in phi_strings() if phi in outbox]


async def test_a_choice_list_may_be_offered_for_a_voucher_client_not_enrolled_here(
    service: Service,
) -> None:
    """A voucher is issued for a client id without eligibility checking it (``POST
    /v1/vouchers``), so the list offered for its selection needs no enrolment either;
    the preview (``GET /choices``) still does."""
    async with service.uow() as uow:
        offered = await clients.offer_choices(uow, "CL-VOUCHER-ONLY", SERVICE, None, ASSESSOR)
        await uow.commit()
    assert offered["client_id"] == "CL-VOUCHER-ONLY"
    assert await service.count(choice_lists_offered) == 1
    async with service.uow() as uow:
        with pytest.raises(ClientNotFoundError):
            await clients.choices(uow, "CL-VOUCHER-ONLY", SERVICE, None, ASSESSOR)


async def test_seed_002_a_minor_is_published_with_the_year_they_turn_18_only(
    service: Service,
) -> None:
    """Seed 002 Qualifications §2 "delivering case management services to
    children/minors": intake publishes a minor's ``turns_18_in`` year so claims judge
    minority on each service date, and nothing of the birth date beyond that year."""
    youth = FictitiousPerson("Perpetua", "Windlesham", date(2010, 5, 23), "556-20-4817")
    await enrol(service, youth)
    await enrol(service, ALICE)
    text = await service.outbox_text()
    assert '"turns_18_in":2028' in text
    assert '"turns_18_in":null' in text  # Alice: an adult at intake
    for secret in ("2010-05-23", "05-23", "Windlesham"):
        assert secret not in text
