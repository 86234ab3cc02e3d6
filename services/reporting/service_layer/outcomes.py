"""GPRA outcome reports and follow-up compliance (SPEC §3.6; seed 003 §VI-3.1, App. C):
the consumers that keep the read models from ``atr.clients.v1`` and ``atr.vouchers.v1``,
and the use cases that answer the reports (rules in :mod:`services.reporting.domain.gpra`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from contracts.api.outcome_reports import (
    AccessCapacityCounts,
    DomainOutcome,
    FollowUpDue,
    FollowUpRateRow,
    FollowUpReport,
    GpraQuarterReport,
    LengthOfStay,
    ProviderOutcomeRow,
    ProviderOutcomesReport,
    RetentionSummary,
    SessionsPerCategory,
)
from contracts.clients import ClientAssessed, GpraRecorded
from contracts.envelope import Event
from contracts.vouchers import (
    VoucherActivated,
    VoucherClosed,
    VoucherDischarged,
    VoucherExpired,
    VoucherExtended,
    VoucherIssued,
    VoucherProviderSelected,
)
from programs.catalog import Catalog
from services.eligibility.domain.gpra_schedule import Episode
from services.kit.consumer import EventHandler
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters import outcomes_orm as store
from services.reporting.adapters import read_store
from services.reporting.domain import gpra
from services.reporting.service_layer.capacity import PROVIDERS_DESIGNATED, capacity

VoucherLifecycle = (
    VoucherIssued
    | VoucherProviderSelected
    | VoucherActivated
    | VoucherExtended
    | VoucherClosed
    | VoucherExpired
    | VoucherDischarged
)


async def on_gpra_recorded(uow: UnitOfWork, event: GpraRecorded) -> None:
    """Keep the interview's kind, date, provider and outcome indicators (SPEC §3.6)."""
    await store.add_interview(uow.session, event.data)


async def on_client_assessed(uow: UnitOfWork, event: ClientAssessed) -> None:
    """Keep the assessment: it starts the episode the interviews are due in (App. C
    note 3; SPEC §3.1)."""
    await store.add_assessment(uow.session, event.data)


async def on_voucher_changed(uow: UnitOfWork, event: VoucherLifecycle) -> None:
    """Keep the voucher's latest snapshot: issue (App. C items 6.1, 6.2), provider,
    admission and discharge (item 7.2; a discharge opens the discharge interview)."""
    await store.put_voucher(uow.session, event.data.voucher)


CLIENT_HANDLERS: dict[type[Event], EventHandler] = {
    GpraRecorded: on_gpra_recorded,
    ClientAssessed: on_client_assessed,
}
"""This module's handlers of ``atr.clients.v1`` events."""

VOUCHER_HANDLERS: dict[type[Event], EventHandler] = dict.fromkeys(
    (
        VoucherIssued,
        VoucherProviderSelected,
        VoucherActivated,
        VoucherExtended,
        VoucherClosed,
        VoucherExpired,
        VoucherDischarged,
    ),
    on_voucher_changed,
)
"""This module's handlers of ``atr.vouchers.v1`` events."""


# --- GPRA quarterly report --------------------------------------------------------------


async def gpra_report(uow: UnitOfWork, period: str, catalog: Catalog) -> GpraQuarterReport:
    """The quarter's GPRA report (SPEC §3.6; seed 003 §VI-3.1, App. C §5a and §5c.1):
    domains 1-5 at intake vs the latest follow-up or discharge (abstinence first),
    access/capacity (items 6.1-6.3), retention (items 7.1, 7.2) and its due date. Item
    7.1 twice: as the interviews reported it, and from the claims the program allowed,
    each of ``catalog``'s services under its GPRA category (``other`` for a code the
    catalog does not know)."""
    quarter = gpra.parse_quarter(period)
    interviews = await store.interviews_until(uow.session, quarter.ends_on)
    vouchers = await store.vouchers_until(uow.session, quarter.ends_on)
    pairs = gpra.follow_up_pairs(interviews, quarter)
    latest = [later for _, later in pairs]
    claimed = [
        gpra.ClaimedSession(*row)
        for row in await read_store.approved_sessions(
            uow,
            sorted({i.client_id for i in latest}),
            quarter.starts_on - timedelta(days=gpra.RETENTION_WINDOW_DAYS),
            quarter.ends_on,
        )
    ]

    def category_of(code: str) -> str:
        service = catalog.services.get(code)
        return "other" if service is None else service.gpra_category.category

    stays = gpra.stay_lengths(vouchers, quarter)
    access = gpra.access_counts(vouchers, quarter)
    counters = await capacity(uow)
    return GpraQuarterReport(
        period=quarter.name,
        starts_on=quarter.starts_on,
        ends_on=quarter.ends_on,
        due_on=quarter.due_on,
        clients_with_intake=len(
            {
                i.client_id
                for i in interviews
                if i.kind == "intake" and quarter.holds(i.conducted_on)
            }
        ),
        clients_followed_up=len(pairs),
        domains=[
            DomainOutcome(
                domain=row.domain,
                indicator=row.indicator,
                source=row.source,
                clients=row.clients,
                at_intake=row.at_intake,
                at_intake_percent=row.at_intake_percent,
                at_follow_up=row.at_follow_up,
                at_follow_up_percent=row.at_follow_up_percent,
            )
            for row in gpra.compare_domains(pairs)
        ],
        access_capacity=AccessCapacityCounts(
            clients_with_vouchers=access.clients_with_vouchers,
            vouchers_issued=access.vouchers_issued,
            clients_with_vouchers_to_date=access.clients_with_vouchers_to_date,
            vouchers_issued_to_date=access.vouchers_issued_to_date,
            providers_designated=counters.get(PROVIDERS_DESIGNATED, 0),
        ),
        retention=RetentionSummary(
            clients=len(latest),
            sessions=[
                SessionsPerCategory(
                    category=s.category,
                    clients=s.clients,
                    sessions=s.sessions,
                    per_client=s.per_client,
                )
                for s in gpra.sessions_per_category(latest)
            ],
            sessions_from_claims=[
                SessionsPerCategory(
                    category=s.category,
                    clients=s.clients,
                    sessions=s.sessions,
                    per_client=s.per_client,
                )
                for s in gpra.claimed_sessions_per_category(latest, claimed, category_of)
            ],
            length_of_stay=LengthOfStay(
                discharges=stays.discharges,
                average_days=stays.average_days,
                longest_days=stays.longest_days,
            ),
            discharges_by_reason=gpra.discharges_by_reason(interviews, quarter),
        ),
    )


# --- follow-up compliance -------------------------------------------------------------------


async def follow_up_report(uow: UnitOfWork, as_of: date) -> FollowUpReport:
    """The program's GPRA worklist on ``as_of`` and the follow-up rate per provider and
    program-wide (SPEC §3.1, §3.6; seed 003 App. C §5a notes 1, 3, 6; rules in
    :func:`gpra.owed_interviews` and :func:`gpra.follow_up_rates`)."""
    interviews = await store.interviews_until(uow.session, as_of)
    vouchers = await store.vouchers_until(uow.session, as_of)
    assessments = await store.assessments_until(uow.session, as_of)
    by_client: dict[str, tuple[list[Episode], list[gpra.InterviewFact], list[gpra.VoucherFact]]]
    by_client = defaultdict(lambda: ([], [], []))
    for assessment in assessments:
        by_client[assessment.client_id][0].append(
            Episode(assessment.case_number, assessment.assessed_on)
        )
    for interview in interviews:
        by_client[interview.client_id][1].append(interview)
    for voucher in vouchers:
        by_client[voucher.client_id][2].append(voucher)
    histories = [
        gpra.ClientHistory(client_id, *by_client[client_id]) for client_id in sorted(by_client)
    ]
    entries = gpra.worklist(histories, as_of)
    providers, program = gpra.follow_up_rates(histories, entries, as_of)
    return FollowUpReport(
        as_of=as_of,
        due=sum(1 for e in entries if e.owed.status == "due"),
        overdue=sum(1 for e in entries if e.owed.status == "overdue"),
        interviews=[
            FollowUpDue(
                client_id=e.client_id,
                provider_id=e.provider_id,
                case_number=e.owed.case_number,
                kind=e.owed.kind,
                opens_on=e.owed.opens_on,
                due_by=e.owed.due_by,
                status=e.owed.status,
                overdue_days=e.overdue_days,
            )
            for e in entries
        ],
        providers=[_rate(row) for row in providers],
        program=_rate(program),
    )


def _rate(row: gpra.FollowUpRate) -> FollowUpRateRow:
    return FollowUpRateRow(
        provider_id=row.provider_id,
        conducted=row.conducted,
        missed=row.missed,
        rate_percent=row.rate,
    )


# --- outcomes per provider ------------------------------------------------------------------


async def provider_outcomes(uow: UnitOfWork, period: str) -> ProviderOutcomesReport:
    """Per provider, the abstinence rate at follow-up/discharge and the completions in
    the quarter (SPEC §3.6 report cards; rules in :func:`gpra.provider_outcomes`)."""
    quarter = gpra.parse_quarter(period)
    interviews = await store.interviews_until(uow.session, quarter.ends_on)
    return ProviderOutcomesReport(
        period=quarter.name,
        starts_on=quarter.starts_on,
        ends_on=quarter.ends_on,
        providers=[
            ProviderOutcomeRow(
                provider_id=row.provider_id,
                clients_followed_up=row.clients_followed_up,
                abstinent=row.abstinent,
                abstinence_rate_percent=row.abstinence_rate,
                completions=row.completions,
            )
            for row in gpra.provider_outcomes(interviews, quarter)
        ],
    )


# --- CSV ------------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return out.getvalue()


def gpra_report_csv(report: GpraQuarterReport) -> str:
    """The GPRA report as CSV rows of (section, measure, value, percent), in the JSON's
    order: the domains (at intake and at follow-up), access/capacity, retention."""
    rows: list[list[Any]] = [
        ["report", "period", report.period, None],
        ["report", "due_on", report.due_on.isoformat(), None],
        ["report", "clients_with_intake", report.clients_with_intake, None],
        ["report", "clients_followed_up", report.clients_followed_up, None],
    ]
    for d in report.domains:
        section = f"domain_{d.domain}"
        rows.append([section, f"{d.indicator}_clients", d.clients, None])
        rows.append([section, f"{d.indicator}_at_intake", d.at_intake, d.at_intake_percent])
        rows.append(
            [section, f"{d.indicator}_at_follow_up", d.at_follow_up, d.at_follow_up_percent]
        )
    for name, value in report.access_capacity.model_dump().items():
        rows.append(["domain_6", name, value, None])
    retention = report.retention
    for s in retention.sessions:
        rows.append(["domain_7", f"sessions_{s.category}", s.sessions, s.per_client])
    for s in retention.sessions_from_claims:
        rows.append(["domain_7", f"claimed_sessions_{s.category}", s.sessions, s.per_client])
    stay = retention.length_of_stay
    rows.append(["domain_7", "discharges_with_stay", stay.discharges, None])
    rows.append(["domain_7", "average_stay_days", stay.average_days, None])
    rows.append(["domain_7", "longest_stay_days", stay.longest_days, None])
    for reason, count in retention.discharges_by_reason.items():
        rows.append(["domain_7", f"discharge_reason_{reason}", count, None])
    return _csv(["section", "measure", "value", "percent"], rows)


def follow_up_csv(report: FollowUpReport) -> str:
    """The worklist as CSV, one interview a row (pseudonymous client ids only)."""
    fields = list(FollowUpDue.model_fields)
    return _csv(
        fields,
        [[getattr(entry, name) for name in fields] for entry in report.interviews],
    )


def provider_outcomes_csv(report: ProviderOutcomesReport) -> str:
    """Outcomes per provider as CSV, one provider a row."""
    fields = list(ProviderOutcomeRow.model_fields)
    return _csv(fields, [[getattr(row, name) for name in fields] for row in report.providers])
