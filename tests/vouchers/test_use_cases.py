"""Voucher use cases on SQLite and PostgreSQL: state, decision log and events together.

Program rules under test: SPEC §3.3 (30-day assessment vouchers on eligibility, 365-day
service vouchers from assessments, re-entry only by doc_thu ≤ 14 days before release,
no voucher for an unpriced service, selection only of active providers offering the
services, self-referrals flagged, no concurrent subsidy, balances from adjudicated
claims, expiry by the scheduler with an injectable clock).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.api.vouchers import CreateVoucher, ReportAdmission, SelectProvider
from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedData
from contracts.clients import (
    AuthorizedService,
    ChoiceListOffered,
    ChoiceListOfferedData,
    ClientAssessed,
    ClientAssessedData,
    EligibilityDetermined,
    EligibilityDeterminedData,
)
from contracts.providers import ProviderRegistered, ProviderSnapshot
from contracts.vouchers import VoucherEvent
from services.kit.actor import Actor
from services.kit.clock import FixedClock
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import KitTables, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import metadata, voucher_decisions
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError
from services.vouchers.service_layer import repository, use_cases

MENTORING = "RECOVERY_MENTORING_IND"
ASSESSOR = Actor(role="assessor", token_id="tok-assessor", organisation_id="PRV-SELF")
DOC = Actor(role="doc_thu", token_id="tok-doc")
PROVIDER_A = Actor(role="provider", token_id="tok-a", provider_id="PRV-A")
PROVIDER_B = Actor(role="provider", token_id="tok-b", provider_id="PRV-B")


class Catalog:
    """A two-service program: mentoring priced, one service without a price."""

    rates = {MENTORING: Decimal("5.00"), "REENTRY_COORDINATION": Decimal("5.00"), "UNPRICED": None}

    def is_priced(self, code: str) -> bool:
        return self.rates[code] is not None

    def may_create_voucher(self, code: str, role: str) -> bool:
        return code != "REENTRY_COORDINATION" or role == "doc_thu"

    def missing_for_voucher(self, code: str, attributes: Iterable[str]) -> list[str]:
        return []


class Service:
    def __init__(self, db: Database, tables: KitTables) -> None:
        self.db, self.tables = db, tables
        self.clock = FixedClock(datetime(2026, 9, 1, 12, tzinfo=UTC))
        self.catalog = Catalog()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.tables)

    async def events(self) -> list[VoucherEvent]:
        from pydantic import TypeAdapter

        adapter: TypeAdapter[VoucherEvent] = TypeAdapter(VoucherEvent)
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(self.tables.outbox.c.payload).order_by(self.tables.outbox.c.seq)
            )
            return [adapter.validate_json(payload) for payload in rows]


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Service]:
    await asyncio.to_thread(upgrade_to_head, "vouchers", database_url)
    db = Database(database_url)
    tables = add_kit_tables(metadata)
    svc = Service(db, tables)
    for provider_id, status in (
        ("PRV-A", "active"),
        ("PRV-B", "active"),
        ("PRV-X", "suspended"),
        ("PRV-SELF", "active"),
    ):
        async with svc.uow() as uow:
            await use_cases.on_provider(
                uow,
                ProviderRegistered(
                    subject=provider_id,
                    data=ProviderSnapshot(
                        provider_id=provider_id,
                        name=provider_id,
                        services=[MENTORING],
                        counties=["Boone"],
                        faith_based=False,
                        status=status,
                    ),
                ),
            )
            await uow.commit()
    for client_id in ("CL-1", "CL-2", "CL-3"):
        async with svc.uow() as uow:
            await offer(uow, client_id, ["PRV-A", "PRV-B", "PRV-SELF"])
            await uow.commit()
    try:
        yield svc
    finally:
        await db.dispose()


async def offer(
    uow: UnitOfWork,
    client_id: str,
    provider_ids: list[str],
    *,
    service_code: str = MENTORING,
    exception_id: str | None = None,
    offered_at: datetime = datetime(2026, 8, 1, 9, tzinfo=UTC),
) -> None:
    """The choice list an assessor offered ``client_id``, as eligibility publishes it."""
    await use_cases.on_choice_list_offered(
        uow,
        ChoiceListOffered(
            subject=client_id,
            data=ChoiceListOfferedData(
                client_id=client_id,
                offer_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{client_id}/{offered_at}")),
                service_code=service_code,
                provider_ids=provider_ids,
                choice_exception_id=exception_id,
                offered_at=offered_at,
            ),
        ),
    )


def service_voucher(client_id: str = "CL-1") -> CreateVoucher:
    return CreateVoucher(
        client_id=client_id,
        assessed_on=date(2026, 8, 1),
        authorized_services=[AuthorizedService(service_code=MENTORING, units=20)],
        max_value=Decimal("100.00"),
    )


async def test_eligible_client_gets_one_30_day_assessment_voucher(service: Service) -> None:
    event = EligibilityDetermined(
        subject="CL-1",
        data=EligibilityDeterminedData(
            client_id="CL-1",
            determination_id="D-1",
            eligible=True,
            determined_on=date(2026, 9, 1),
            determined_by="tok-assessor",
        ),
    )
    for _ in range(2):  # a replayed event issues nothing new
        async with service.uow() as uow:
            await use_cases.on_eligibility(uow, event, service.clock)
            await uow.commit()
    issued = await service.events()
    assert len(issued) == 1
    voucher = issued[0].data.voucher
    assert (voucher.kind, voucher.valid_until) == ("assessment", date(2026, 9, 30))

    refused = event.model_copy(
        update={
            "data": event.data.model_copy(update={"eligible": False, "determination_id": "D-2"})
        }
    )
    async with service.uow() as uow:
        await use_cases.on_eligibility(uow, refused, service.clock)
        await uow.commit()
    assert len(await service.events()) == 1


async def test_assessment_creates_a_365_day_service_voucher(service: Service) -> None:
    event = ClientAssessed(
        subject="CL-2",
        data=ClientAssessedData(
            client_id="CL-2",
            assessment_id="AS-1",
            case_number=1,
            assessed_on=date(2026, 8, 1),
            level_of_care="outpatient",
            treatment_status="level_2",
            authorized_services=[AuthorizedService(service_code=MENTORING, units=40)],
            assessed_by="tok-assessor",
        ),
    )
    async with service.uow() as uow:
        await use_cases.on_assessment(uow, event, service.catalog, service.clock)
        await uow.commit()
    [issued] = await service.events()
    voucher = issued.data.voucher
    assert voucher.kind == "service"
    assert voucher.valid_from == date(2026, 8, 1)
    assert voucher.valid_until == date(2027, 7, 31)


async def test_unpriced_services_and_reentry_rules_are_refused(service: Service) -> None:
    unpriced = CreateVoucher(
        client_id="CL-3", authorized_services=[AuthorizedService(service_code="UNPRICED", units=1)]
    )
    async with service.uow() as uow:
        with pytest.raises(RuleViolationError) as refused:
            await use_cases.create_voucher(uow, unpriced, ASSESSOR, service.catalog, service.clock)
    assert refused.value.field == "authorized_services.0.service_code"

    reentry = CreateVoucher(
        client_id="CL-3",
        kind="reentry",
        release_date=date(2026, 9, 10),
        authorized_services=[AuthorizedService(service_code="REENTRY_COORDINATION", units=8)],
    )
    async with service.uow() as uow:
        with pytest.raises(use_cases.ForbiddenError):
            await use_cases.create_voucher(uow, reentry, ASSESSOR, service.catalog, service.clock)
    too_early = reentry.model_copy(update={"release_date": date(2026, 9, 16)})
    async with service.uow() as uow:
        with pytest.raises(RuleViolationError):
            await use_cases.create_voucher(uow, too_early, DOC, service.catalog, service.clock)
    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(uow, reentry, DOC, service.catalog, service.clock)
        await uow.commit()
    assert voucher.kind == "reentry"


async def test_a_suspended_provider_admits_no_new_client(service: Service) -> None:
    """SPEC §3.2: "suspending a provider removes it from choice lists and stops new
    admissions". PRV-A is chosen while active, suspended before the admission: refused;
    reinstated: the admission goes through."""
    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(
            uow, service_voucher(), ASSESSOR, service.catalog, service.clock
        )
        await use_cases.select_provider(
            uow, voucher.voucher_id, SelectProvider(provider_id="PRV-A"), ASSESSOR, service.clock
        )
        await uow.commit()

    async def set_status(status: str) -> None:
        async with service.uow() as uow:
            await use_cases.on_provider(
                uow,
                ProviderRegistered(
                    subject="PRV-A",
                    data=ProviderSnapshot(
                        provider_id="PRV-A",
                        name="PRV-A",
                        services=[MENTORING],
                        counties=["Boone"],
                        faith_based=False,
                        status=status,
                    ),
                ),
            )
            await uow.commit()

    admission = ReportAdmission(admitted_on=date(2026, 9, 1))
    await set_status("suspended")
    async with service.uow() as uow:
        with pytest.raises(InvalidTransitionError, match="suspended"):
            await use_cases.admit(uow, voucher.voucher_id, admission, PROVIDER_A, service.clock)
    await set_status("ineligible_next_fiscal_year")  # takes effect next year: admits now
    async with service.uow() as uow:
        admitted = await use_cases.admit(
            uow, voucher.voucher_id, admission, PROVIDER_A, service.clock
        )
        await uow.commit()
    assert admitted.status == "active"


async def test_selection_admission_and_concurrent_subsidy(service: Service) -> None:
    async with service.uow() as uow:
        first = await use_cases.create_voucher(
            uow, service_voucher(), ASSESSOR, service.catalog, service.clock
        )
        second = await use_cases.create_voucher(
            uow, service_voucher(), ASSESSOR, service.catalog, service.clock
        )
        await uow.commit()
    for provider_id, message in (("PRV-NONE", "unknown provider"), ("PRV-X", "may not receive")):
        async with service.uow() as uow:
            with pytest.raises(RuleViolationError, match=message):
                await use_cases.select_provider(
                    uow,
                    first.voucher_id,
                    SelectProvider(provider_id=provider_id),
                    ASSESSOR,
                    service.clock,
                )
    async with service.uow() as uow:
        await use_cases.select_provider(
            uow, first.voucher_id, SelectProvider(provider_id="PRV-A"), ASSESSOR, service.clock
        )
        await use_cases.select_provider(
            uow, second.voucher_id, SelectProvider(provider_id="PRV-SELF"), ASSESSOR, service.clock
        )
        await use_cases.admit(
            uow,
            first.voucher_id,
            ReportAdmission(admitted_on=date(2026, 9, 1)),
            PROVIDER_A,
            service.clock,
        )
        await uow.commit()
    # PRV-SELF may not be admitted while PRV-A subsidises the same service
    self_actor = Actor(role="provider", token_id="tok-self", provider_id="PRV-SELF")
    async with service.uow() as uow:
        with pytest.raises(InvalidTransitionError, match="CONCURRENT_PROVIDER"):
            await use_cases.admit(
                uow,
                second.voucher_id,
                ReportAdmission(admitted_on=date(2026, 9, 1)),
                self_actor,
                service.clock,
            )
    # another provider cannot see or admit on a voucher it was not chosen for
    async with service.uow() as uow:
        with pytest.raises(repository.VoucherNotFoundError):
            await use_cases.get_voucher(uow, first.voucher_id, PROVIDER_B)
    events = await service.events()
    selections = [e for e in events if e.type == "atr.voucher.provider_selected"]
    assert [e.data.self_referral for e in selections] == [False, True]  # type: ignore[union-attr]
    async with service.db.sessions() as session:
        actors = (
            await session.execute(select(voucher_decisions.c.action, voucher_decisions.c.actor))
        ).all()
    assert ("activated", "tok-a") in [tuple(a) for a in actors]


async def test_balance_follows_adjudicated_claims_once(service: Service) -> None:
    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(
            uow, service_voucher(), ASSESSOR, service.catalog, service.clock
        )
        await uow.commit()
    adjudicated = ClaimAdjudicated(
        subject="CL-1",
        data=ClaimAdjudicatedData(
            claim_id="CLM-1",
            claim_ref="R1",
            provider_id="PRV-A",
            client_id="CL-1",
            voucher_id=voucher.voucher_id,
            service_code=MENTORING,
            service_date=date(2026, 9, 1),
            billed_units=4,
            allowed_units=4,
            denied_units=0,
            unit_rate=Decimal("5.00"),
            allowed_amount=Decimal("20.00"),
            denied_amount=Decimal("0.00"),
            outcome="approved",
            adjudicated_at=datetime(2026, 9, 1, tzinfo=UTC),
        ),
    )
    adjudicated2 = adjudicated.model_copy(
        update={
            "data": adjudicated.data.model_copy(
                update={"claim_id": "CLM-2", "allowed_units": 2, "allowed_amount": Decimal("10.00")}
            )
        }
    )
    async with service.uow() as uow:
        await use_cases.on_claims_adjudicated(uow, [adjudicated, adjudicated2], service.clock)
        await uow.commit()
    async with service.uow() as uow:
        after = await use_cases.get_voucher(uow, voucher.voucher_id, ASSESSOR)
    balance = after.balances[0]
    assert (balance.used_units, balance.remaining_units) == (6, 14)
    assert after.used_amount == Decimal("30.00")
    assert after.version == voucher.version + 1  # one change for the batch
    change = (await service.events())[-1]
    assert change.type == "atr.voucher.balance_changed"
    assert [line.claim_id for line in change.data.lines] == ["CLM-1", "CLM-2"]  # type: ignore[union-attr]


async def test_scheduler_expires_only_vouchers_past_their_validity(service: Service) -> None:
    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(
            uow, service_voucher(), ASSESSOR, service.catalog, service.clock
        )
        await uow.commit()
    service.clock.moment = datetime(2027, 7, 31, 23, tzinfo=UTC)  # last valid day
    async with service.uow() as uow:
        assert await use_cases.expire_due(uow, service.clock) == 0
        await uow.commit()
    service.clock.advance(days=1)
    async with service.uow() as uow:
        assert await use_cases.expire_due(uow, service.clock) == 1
        await uow.commit()
    async with service.uow() as uow:
        after = await use_cases.get_voucher(uow, voucher.voucher_id, ASSESSOR)
    assert after.status == "expired"
    assert (await service.events())[-1].type == "atr.voucher.expired"
