"""The GPRA quarterly, follow-up and per-provider outcome reports (SPEC §3.6; seed 003
§VI-3.1, App. C) on SQLite and PostgreSQL: events fed through reporting's handlers
(each twice: the read models are idempotent), every figure computed by hand below."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from contracts.clients import (
    ClientAssessed,
    ClientAssessedData,
    GpraKind,
    GpraOutcomes,
    GpraRecorded,
    GpraRecordedData,
    RetentionSessions,
)
from contracts.envelope import Event
from contracts.vouchers import (
    ActivatedData,
    DischargedData,
    VoucherActivated,
    VoucherDischarged,
    VoucherIssued,
    VoucherIssuedData,
    VoucherKind,
    VoucherSnapshot,
)
from programs.loader import load_catalog
from services.kit.database import Database
from services.kit.schema import KitTables, add_kit_tables
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters import outcomes_orm  # noqa: F401  (its tables)
from services.reporting.adapters import projections as write
from services.reporting.adapters.orm import metadata
from services.reporting.domain.gpra import PeriodError
from services.reporting.domain.periods import Period
from services.reporting.service_layer import outcomes
from services.reporting.service_layer.capacity import PROVIDERS_DESIGNATED, increment
from services.reporting.service_layer.reports import provider_report
from tests.reporting.builders import corrected, decided

D = date.fromisoformat
CATALOG = load_catalog("missouri_atr2")
NONE_OF_IT = dict.fromkeys(
    ("abstinent", "employed_or_in_school", "no_arrests", "housed", "social_support"), False
)


def interview(
    client: str,
    number: int,
    kind: GpraKind,
    on: str,
    provider: str,
    reason: str | None = None,
    sessions: dict[str, int] | None = None,
    indicators: dict[str, bool] | None = None,
    **more: bool,
) -> GpraRecorded:
    return GpraRecorded(
        subject=client,
        data=GpraRecordedData(
            client_id=client,
            interview_id=f"{client}-I{number}",
            kind=kind,
            conducted_on=D(on),
            complete=True,
            provider_id=provider,
            discharge_reason=reason,
            outcomes=GpraOutcomes(
                **{**NONE_OF_IT, **(indicators or {}), **more},
                sessions=[
                    RetentionSessions(category=category, sessions=count)
                    for category, count in (sessions or {}).items()
                ],
            ),
        ),
    )


def assessed(client: str, on: str) -> ClientAssessed:
    return ClientAssessed(
        subject=client,
        data=ClientAssessedData(
            client_id=client,
            assessment_id=f"{client}-A1",
            case_number=1,
            assessed_on=D(on),
            level_of_care="outpatient",
            treatment_status="level_1",
            assessed_by="tok-assessor",
        ),
    )


def snapshot(
    voucher: str,
    client: str,
    issued: str,
    version: int,
    provider: str | None = None,
    admitted: str | None = None,
    discharged: str | None = None,
    kind: VoucherKind = "service",
) -> VoucherSnapshot:
    return VoucherSnapshot(
        voucher_id=voucher,
        client_id=client,
        kind=kind,
        status="discharged" if discharged else ("active" if admitted else "issued"),
        version=version,
        issued_on=D(issued),
        valid_from=D(issued),
        valid_until=D(issued) + timedelta(days=365),
        provider_id=provider,
        admitted_on=D(admitted) if admitted else None,
        discharged_on=D(discharged) if discharged else None,
    )


def issued(voucher: str, client: str, on: str, kind: VoucherKind = "service") -> VoucherIssued:
    return VoucherIssued(
        subject=voucher,
        data=VoucherIssuedData(voucher=snapshot(voucher, client, on, 1, kind=kind), issued_by="x"),
    )


def activated(voucher: str, client: str, on: str, provider: str, admitted: str) -> Event:
    snap = snapshot(voucher, client, on, 3, provider, admitted)
    return VoucherActivated(
        subject=voucher, data=ActivatedData(voucher=snap, admitted_on=D(admitted))
    )


def discharged(
    voucher: str, client: str, on: str, provider: str, admitted: str, when: str
) -> Event:
    snap = snapshot(voucher, client, on, 4, provider, admitted, when)
    return VoucherDischarged(
        subject=voucher,
        data=DischargedData(
            voucher=snap, provider_id=provider, discharged_on=D(when), reason="completed"
        ),
    )


SUPPORT_ONLY = {"social_support": True}
ALL_GOOD = dict.fromkeys(NONE_OF_IT, True)

EVENTS: list[Event] = [
    # C1: intake in FY2027 Q1, treatment completed in Q2 (81 days' stay)
    assessed("C1", "2026-09-01"),
    interview("C1", 1, "intake", "2026-09-02", "P1", indicators=SUPPORT_ONLY),
    issued("V1", "C1", "2026-09-02"),
    discharged("V1", "C1", "2026-09-02", "P1", "2026-09-10", "2026-11-30"),
    activated("V1", "C1", "2026-09-02", "P1", "2026-09-10"),  # older version, arrives late
    interview(
        "C1",
        2,
        "discharge",
        "2026-12-01",
        "P1",
        reason="treatment_completed",
        sessions={"recovery_coaching": 4, "case_management": 2},
        indicators=ALL_GOOD,
    ),
    # C2: intake and a follow-up in Q2
    assessed("C2", "2026-10-01"),
    interview(
        "C2",
        1,
        "intake",
        "2026-10-02",
        "P2",
        employed_or_in_school=True,
        no_arrests=True,
        housed=True,
    ),
    issued("V2", "C2", "2026-10-02"),
    activated("V2", "C2", "2026-10-02", "P2", "2026-10-05"),
    interview(
        "C2",
        2,
        "follow_up",
        "2026-12-02",
        "P2",
        sessions={"recovery_coaching": 6},
        employed_or_in_school=True,
        no_arrests=True,
        social_support=True,
    ),
    # C3: intake in Q2, its first follow-up due by 2026-12-12; an assessment voucher too
    assessed("C3", "2026-10-10"),
    issued("VA3", "C3", "2026-10-09", kind="assessment"),
    interview("C3", 1, "intake", "2026-10-12", "P2"),
    issued("V3", "C3", "2026-10-12"),
    activated("V3", "C3", "2026-10-12", "P2", "2026-10-14"),
    # C4: earlier episode; its second follow-up was due 2026-10-01 and never came
    assessed("C4", "2026-06-01"),
    interview("C4", 1, "intake", "2026-06-01", "P1"),
    interview("C4", 2, "follow_up", "2026-08-01", "P1"),
    # C5: intake in Q2, voucher discharged 2026-11-20 without a discharge interview
    assessed("C5", "2026-11-01"),
    interview("C5", 1, "intake", "2026-11-02", "P1"),
    issued("V5", "C5", "2026-11-02"),
    discharged("V5", "C5", "2026-11-02", "P1", "2026-11-03", "2026-11-20"),
]


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[Any]:
    tables: KitTables = add_kit_tables(metadata)
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    handlers = {**outcomes.CLIENT_HANDLERS, **outcomes.VOUCHER_HANDLERS}
    for _ in range(2):  # every event twice: nothing counts twice
        async with UnitOfWork(db, tables) as uow:
            for event in EVENTS:
                await handlers[type(event)](uow, event)
            await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        await increment(uow, PROVIDERS_DESIGNATED, 2)
        await uow.commit()
    yield lambda: UnitOfWork(db, tables)
    await db.dispose()


async def test_gpra_quarterly_report(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        report = await outcomes.gpra_report(uow, "2027Q2", CATALOG)
    assert (report.starts_on, report.ends_on, report.due_on) == (
        D("2026-10-01"),
        D("2026-12-31"),
        D("2027-01-30"),
    )
    assert report.clients_with_intake == 3  # C2, C3, C5
    assert report.clients_followed_up == 2  # C1 (discharge), C2 (follow-up)
    domains = [
        (
            d.indicator,
            d.clients,
            d.at_intake,
            d.at_intake_percent,
            d.at_follow_up,
            d.at_follow_up_percent,
        )
        for d in report.domains
    ]
    p = Decimal
    assert domains == [
        ("abstinent", 2, 0, p("0.0"), 1, p("50.0")),
        ("employed_or_in_school", 2, 1, p("50.0"), 2, p("100.0")),
        ("no_arrests", 2, 1, p("50.0"), 2, p("100.0")),
        ("housed", 2, 1, p("50.0"), 1, p("50.0")),
        ("social_support", 2, 1, p("50.0"), 2, p("100.0")),
    ]
    access = report.access_capacity
    # V2, V3, V5 in the quarter; V1 before; the assessment voucher VA3 does not count
    assert (access.clients_with_vouchers, access.vouchers_issued) == (3, 3)
    assert (access.clients_with_vouchers_to_date, access.vouchers_issued_to_date) == (4, 4)
    assert access.providers_designated == 2
    retention = report.retention
    assert retention.clients == 2
    assert [(s.category, s.clients, s.sessions, s.per_client) for s in retention.sessions] == [
        ("case_management", 1, 2, p("1.00")),
        ("recovery_coaching", 2, 10, p("5.00")),
    ]
    # V1: Sep 10 to Nov 30 = 81 days; V5: Nov 3 to Nov 20 = 17 days
    stay = retention.length_of_stay
    assert (stay.discharges, stay.average_days, stay.longest_days) == (2, p("49.0"), 81)
    assert retention.discharges_by_reason == {"treatment_completed": 1}

    text = outcomes.gpra_report_csv(report)
    assert text.splitlines()[0] == "section,measure,value,percent"
    assert "domain_1,abstinent_at_follow_up,1,50.0" in text.splitlines()
    assert "report,due_on,2027-01-30," in text.splitlines()


async def test_retention_from_claims_counts_each_category_by_the_catalog(
    uow_factory: Any,
) -> None:
    """Seed 003 App. C item 7.1: "Identify the number of service sessions/days provided to
    each client during the past 30 days." Counted from the lines the program allowed,
    for the follow-up cohort (C1's discharge on Dec 1, C2's follow-up on Dec 2), each
    service under the GPRA category the Missouri catalog maps it to."""
    lines = [
        # C1, window Nov 2 - Dec 1: two mentoring lines on one day are one session
        decided("R1", D("2026-11-05"), client="C1", code="RECOVERY_MENTORING_IND"),
        decided("R2", D("2026-11-05"), client="C1", code="RECOVERY_MENTORING_GRP"),
        decided("R3", D("2026-11-06"), client="C1", code="TRANSPORT_MILEAGE"),
        decided("R4", D("2026-11-01"), client="C1", code="EMERGENCY_HOUSING"),  # before
        decided("R5", D("2026-11-20"), client="C1", code="CARE_COORDINATION", allowed=0),
        # C2, window Nov 3 - Dec 2: both ends count
        decided("R6", D("2026-12-02"), client="C2", code="RECOVERY_MENTORING_IND"),
        decided("R7", D("2026-11-10"), client="C2", code="RECOVERY_MENTORING_IND"),
        decided("R8", D("2026-11-03"), client="C2", code="PASTORAL_COUNSELING_IND"),
        decided("R9", D("2026-11-15"), client="C2", code="RETIRED_SERVICE"),  # not in catalog
        decided("R10", D("2026-11-20"), client="C2", code="CHILD_CARE"),
        # C3 is not in the cohort
        decided("R11", D("2026-11-10"), client="C3", code="RECOVERY_MENTORING_IND"),
    ]
    async with uow_factory() as uow:
        await write.apply_claim_events(uow, [*lines, corrected(lines[9], 0)])  # R10 voided
        await uow.commit()
    async with uow_factory() as uow:
        report = await outcomes.gpra_report(uow, "2027Q2", CATALOG)
    claimed = [
        (s.category, s.clients, s.sessions, s.per_client)
        for s in report.retention.sessions_from_claims
    ]
    assert claimed == [
        ("other", 1, 1, Decimal("0.50")),
        ("recovery_coaching", 2, 3, Decimal("1.50")),
        ("spiritual_support", 1, 1, Decimal("0.50")),
        ("transportation", 1, 1, Decimal("0.50")),
    ]
    assert "domain_7,claimed_sessions_recovery_coaching,3,1.50" in (
        outcomes.gpra_report_csv(report).splitlines()
    )


async def test_the_previous_quarter_compares_nobody_yet(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        report = await outcomes.gpra_report(uow, "2027Q1", CATALOG)
    # C4's follow-up (Aug 1) is in Q1 with its intake (Jun 1) before it
    assert report.clients_followed_up == 1
    assert report.clients_with_intake == 1  # C1 on Sep 2
    assert report.domains[0].clients == 1
    assert report.access_capacity.vouchers_issued == 1  # V1


async def test_follow_up_worklist_and_rates(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        report = await outcomes.follow_up_report(uow, D("2026-12-10"))
    rows = [
        (i.client_id, i.provider_id, i.kind, i.opens_on, i.due_by, i.status, i.overdue_days)
        for i in report.interviews
    ]
    assert rows == [
        # follow-up two months after Aug 1: Oct 1, 70 days ago
        ("C4", "P1", "follow_up", D("2026-09-17"), D("2026-10-01"), "overdue", 70),
        # two months after the Oct 12 intake, opening 14 days before
        ("C3", "P2", "follow_up", D("2026-11-28"), D("2026-12-12"), "due", 0),
        # the voucher discharge on Nov 20 opened the discharge interview (30 days' grace)
        ("C5", "P1", "discharge", D("2026-11-20"), D("2026-12-20"), "due", 0),
    ]
    assert (report.due, report.overdue) == (2, 1)
    # P1 conducted C1's discharge and C4's first follow-up, missed C4's second; P2 did C2's
    assert [(r.provider_id, r.conducted, r.missed, r.rate_percent) for r in report.providers] == [
        ("P1", 2, 1, Decimal("66.7")),
        ("P2", 1, 0, Decimal("100.0")),
    ]
    assert (report.program.conducted, report.program.missed) == (3, 1)
    assert report.program.rate_percent == Decimal("75.0")
    text = outcomes.follow_up_csv(report)
    assert text.splitlines()[1] == "C4,P1,1,follow_up,2026-09-17,2026-10-01,overdue,70"


async def test_before_the_voucher_discharge_the_follow_up_is_owed_instead(
    uow_factory: Any,
) -> None:
    async with uow_factory() as uow:
        report = await outcomes.follow_up_report(uow, D("2026-11-15"))
    c5 = [(i.kind, i.status) for i in report.interviews if i.client_id == "C5"]
    assert c5 == []  # its follow-up opens Dec 19; the discharge (Nov 20) is in the future
    async with uow_factory() as uow:
        later = await outcomes.follow_up_report(uow, D("2026-12-21"))
    c5_later = [(i.kind, i.overdue_days) for i in later.interviews if i.client_id == "C5"]
    assert c5_later == [("discharge", 1)]


async def test_outcomes_per_provider(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        report = await outcomes.provider_outcomes(uow, "2027Q2")
    assert [
        (
            r.provider_id,
            r.clients_followed_up,
            r.abstinent,
            r.abstinence_rate_percent,
            r.completions,
        )
        for r in report.providers
    ] == [("P1", 1, 1, Decimal("100.0"), 1), ("P2", 1, 0, Decimal("0.0"), 0)]
    assert outcomes.provider_outcomes_csv(report).splitlines() == [
        "provider_id,clients_followed_up,abstinent,abstinence_rate_percent,completions",
        "P1,1,1,100.0,1",
        "P2,1,0,0.0,0",
    ]


async def test_report_cards_carry_the_outcomes(uow_factory: Any) -> None:
    """SPEC §3.6 report cards: "abstinence and completion outcomes", per quarter and
    for the fiscal year (its quarters summed)."""
    async with uow_factory() as uow:
        quarter = await provider_report(uow, Period.parse("2027Q2"))
        year = await provider_report(uow, Period.parse("2027"))
    cards = {c.provider_id: c for c in quarter.providers}
    assert (
        cards["P1"].clients_followed_up,
        cards["P1"].abstinent,
        cards["P1"].abstinence_rate,
        cards["P1"].completions,
    ) == (1, 1, Decimal("1.0000"), 1)
    assert (cards["P2"].clients_followed_up, cards["P2"].abstinence_rate) == (
        1,
        Decimal("0.0000"),
    )
    whole = {c.provider_id: c for c in year.providers}
    assert whole["P1"].completions == 1
    assert whole["P1"].clients_followed_up >= 1


async def test_a_period_that_is_not_a_quarter_is_refused(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        with pytest.raises(PeriodError):
            await outcomes.gpra_report(uow, "2027-06", CATALOG)
