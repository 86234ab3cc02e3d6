"""A provider's relationship with a client (SPEC §4, §5), on SQLite and PostgreSQL.

The rule: a provider acts for a client while it holds one of the client's vouchers (its
selection made the packet available), and for ``grace_days`` after that relationship
ended (discharge, closure, expiry, or the voucher moved to another provider) to report
the discharge; after that, or when it never held one, there is none (the gateway's 404).
Every case goes through the real use cases, so the history is what they log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.api.vouchers import (
    CloseVoucher,
    CreateVoucher,
    DischargeClient,
    ReportAdmission,
    SelectProvider,
)
from contracts.clients import AuthorizedService
from contracts.providers import ProviderRegistered, ProviderSnapshot
from services.kit.actor import Actor
from services.kit.clock import FixedClock
from services.kit.database import Database
from services.kit.migrations import upgrade_to_head
from services.kit.schema import KitTables, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import metadata
from services.vouchers.service_layer import relationships, use_cases
from services.vouchers.service_layer.relationships import Relationship
from tests.vouchers.test_use_cases import offer

MENTORING = "RECOVERY_MENTORING_IND"
GRACE = 60
ASSESSOR = Actor(role="assessor", token_id="tok-assessor")
ADMIN = Actor(role="admin", token_id="tok-admin")
A = Actor(role="provider", token_id="tok-a", provider_id="PRV-A")
B = Actor(role="provider", token_id="tok-b", provider_id="PRV-B")
START = datetime(2026, 9, 1, 12, tzinfo=UTC)


class Catalog:
    def is_priced(self, code: str) -> bool:
        return True

    def may_create_voucher(self, code: str, role: str) -> bool:
        return True

    def missing_for_voucher(self, code: str, attributes: Iterable[str]) -> list[str]:
        return []


class Vouchers:
    """The vouchers service's use cases on one database, with a clock the test moves."""

    def __init__(self, db: Database, tables: KitTables) -> None:
        self.db, self.tables = db, tables
        self.clock = FixedClock(START)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.tables)

    async def issue(self, client_id: str = "CL-1") -> str:
        async with self.uow() as uow:
            voucher = await use_cases.create_voucher(
                uow,
                CreateVoucher(
                    client_id=client_id,
                    assessed_on=self.clock.today(),
                    authorized_services=[AuthorizedService(service_code=MENTORING, units=20)],
                    max_value=Decimal("100.00"),
                ),
                ASSESSOR,
                Catalog(),
                self.clock,
            )
            await uow.commit()
        return voucher.voucher_id

    async def select(self, voucher_id: str, provider: Actor) -> None:
        async with self.uow() as uow:
            await use_cases.select_provider(
                uow,
                voucher_id,
                SelectProvider(provider_id=provider.provider_id or ""),
                ASSESSOR,
                self.clock,
            )
            await uow.commit()

    async def admit(self, voucher_id: str, provider: Actor) -> None:
        async with self.uow() as uow:
            await use_cases.admit(
                uow,
                voucher_id,
                ReportAdmission(admitted_on=self.clock.today()),
                provider,
                self.clock,
            )
            await uow.commit()

    async def discharge(self, voucher_id: str, provider: Actor, on: date) -> None:
        async with self.uow() as uow:
            await use_cases.discharge(
                uow, voucher_id, DischargeClient(discharged_on=on), provider, self.clock
            )
            await uow.commit()

    async def of(self, provider: Actor, client_id: str = "CL-1") -> Relationship | None:
        async with self.uow() as uow:
            return await relationships.relationship(
                uow,
                client_id,
                provider.provider_id or "",
                today=self.clock.today(),
                grace_days=GRACE,
            )


@pytest.fixture
async def vouchers(database_url: str) -> AsyncIterator[Vouchers]:
    await asyncio.to_thread(upgrade_to_head, "vouchers", database_url)
    db = Database(database_url)
    service = Vouchers(db, add_kit_tables(metadata))
    for provider_id in ("PRV-A", "PRV-B"):
        async with service.uow() as uow:
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
                        status="active",
                    ),
                ),
            )
            await uow.commit()
    for client_id in ("CL-1", "CL-OTHER", "CL-CLOSED", "CL-LAPSED"):
        async with service.uow() as uow:
            await offer(uow, client_id, ["PRV-A", "PRV-B"])
            await uow.commit()
    try:
        yield service
    finally:
        await db.dispose()


async def test_the_selected_provider_holds_the_client_at_once(vouchers: Vouchers) -> None:
    voucher_id = await vouchers.issue()
    assert await vouchers.of(A) is None  # issued, nobody selected
    await vouchers.select(voucher_id, A)
    assert await vouchers.of(A) == Relationship(active=True, held_until=None)
    await vouchers.admit(voucher_id, A)
    assert await vouchers.of(A) == Relationship(active=True, held_until=None)
    assert await vouchers.of(B) is None  # never held
    assert await vouchers.of(A, client_id="CL-OTHER") is None


async def test_a_discharged_provider_reports_within_the_grace_only(vouchers: Vouchers) -> None:
    voucher_id = await vouchers.issue()
    await vouchers.select(voucher_id, A)
    await vouchers.admit(voucher_id, A)
    vouchers.clock.advance(days=10)
    discharged_on = vouchers.clock.today() - timedelta(days=2)  # reported two days late
    await vouchers.discharge(voucher_id, A, discharged_on)
    held_until = discharged_on + timedelta(days=GRACE)
    assert await vouchers.of(A) == Relationship(active=False, held_until=held_until)
    vouchers.clock.moment = datetime.combine(held_until, START.timetz())  # last day
    assert await vouchers.of(A) == Relationship(active=False, held_until=held_until)
    vouchers.clock.advance(days=1)
    assert await vouchers.of(A) is None


async def test_a_voucher_moved_to_another_provider_ends_the_first(vouchers: Vouchers) -> None:
    voucher_id = await vouchers.issue()
    await vouchers.select(voucher_id, A)
    vouchers.clock.advance(days=3)
    moved_on = vouchers.clock.today()
    await vouchers.select(voucher_id, B)  # the client chose again before admission
    assert await vouchers.of(B) == Relationship(active=True, held_until=None)
    assert await vouchers.of(A) == Relationship(
        active=False, held_until=moved_on + timedelta(days=GRACE)
    )
    # after admission and discharge from B, the voucher moves back to A: A holds it again
    await vouchers.admit(voucher_id, B)
    await vouchers.discharge(voucher_id, B, vouchers.clock.today())
    await vouchers.select(voucher_id, A)
    assert await vouchers.of(A) == Relationship(active=True, held_until=None)
    assert await vouchers.of(B) == Relationship(
        active=False, held_until=vouchers.clock.today() + timedelta(days=GRACE)
    )
    vouchers.clock.advance(days=GRACE + 1)
    assert await vouchers.of(B) is None
    assert await vouchers.of(A) == Relationship(active=True, held_until=None)


async def test_closure_and_expiry_end_the_relationship(vouchers: Vouchers) -> None:
    closed = await vouchers.issue("CL-CLOSED")
    await vouchers.select(closed, A)
    closed_on = vouchers.clock.today() + timedelta(days=5)
    async with vouchers.uow() as uow:
        await use_cases.close(
            uow, closed, CloseVoucher(reason="death", closed_on=closed_on), ADMIN, vouchers.clock
        )
        await uow.commit()
    assert await vouchers.of(A, "CL-CLOSED") == Relationship(
        active=False, held_until=closed_on + timedelta(days=GRACE)
    )

    lapsed = await vouchers.issue("CL-LAPSED")
    await vouchers.select(lapsed, A)
    await vouchers.admit(lapsed, A)
    valid_until = START.date() + timedelta(days=364)
    vouchers.clock.moment = datetime.combine(valid_until, START.timetz())
    assert await vouchers.of(A, "CL-LAPSED") == Relationship(active=True, held_until=None)
    vouchers.clock.advance(days=1)  # past validity, before the scheduler ran
    expected = Relationship(active=False, held_until=valid_until + timedelta(days=GRACE))
    assert await vouchers.of(A, "CL-LAPSED") == expected
    async with vouchers.uow() as uow:
        assert await use_cases.expire_due(uow, vouchers.clock) >= 1
        await uow.commit()
    assert await vouchers.of(A, "CL-LAPSED") == expected  # the same after the scheduler
    vouchers.clock.moment = datetime.combine(expected.held_until or valid_until, START.timetz())
    vouchers.clock.advance(days=1)
    assert await vouchers.of(A, "CL-LAPSED") is None


async def test_one_held_voucher_is_enough_among_several(vouchers: Vouchers) -> None:
    old = await vouchers.issue()
    await vouchers.select(old, A)
    await vouchers.admit(old, A)
    await vouchers.discharge(old, A, vouchers.clock.today())
    vouchers.clock.advance(days=GRACE + 10)  # A's old relationship is long over
    assert await vouchers.of(A) is None
    new = await vouchers.issue()
    await vouchers.select(new, B)
    assert await vouchers.of(A) is None
    assert await vouchers.of(B) == Relationship(active=True, held_until=None)


def test_decide_ignores_other_providers_and_keeps_the_latest_end() -> None:
    row = relationships.VoucherRow("V-1", "discharged", "PRV-B", date(2027, 1, 1))
    changes = [
        relationships.Change(
            "V-1", 2, "provider_selected", {"provider_id": "PRV-A"}, date(2026, 1, 1)
        ),
        relationships.Change(
            "V-1", 3, "provider_selected", {"provider_id": "PRV-B"}, date(2026, 2, 1)
        ),
        relationships.Change("V-1", 4, "activated", {}, date(2026, 2, 2)),
        relationships.Change(
            "V-1", 5, "discharged", {"discharged_on": "2026-03-01"}, date(2026, 3, 5)
        ),
    ]
    on = date(2026, 3, 10)
    assert relationships.decide([row], changes, "PRV-A", today=on, grace_days=60) == Relationship(
        active=False, held_until=date(2026, 4, 2)
    )
    assert relationships.decide([row], changes, "PRV-B", today=on, grace_days=60) == Relationship(
        active=False, held_until=date(2026, 4, 30)
    )
    assert relationships.decide([row], changes, "PRV-C", today=on, grace_days=60) is None
    assert relationships.decide([row], changes, "PRV-A", today=on, grace_days=0) is None
