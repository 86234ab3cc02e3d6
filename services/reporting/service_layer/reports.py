"""The money reports (SPEC §3.6; seed 003 §VI-3 and Appendix G): financial, provider
report cards, program integrity. Each takes a :class:`Period` and reads only the read
models, so the same events always give the same report."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from contracts.api.reports import (
    ChoiceExceptionEntry,
    DenialCount,
    FinancialReport,
    IntegrityFinding,
    IntegrityReport,
    ModalityCost,
    MonthDenials,
    ProviderCard,
    ProviderReport,
    QuarterSpend,
    SelfReferralEntry,
    ServiceDayTotal,
)
from programs.catalog import Catalog
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters import read_store
from services.reporting.domain.cost_ranges import (
    CostRange,
    applicable_range,
    cost_flag,
    modality_of,
)
from services.reporting.domain.patterns import BilledLine, daily_limits, unusual_patterns
from services.reporting.domain.periods import Period
from services.reporting.service_layer.outcomes import provider_outcomes

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

ADMINISTRATIVE_COST_LIMIT = Decimal("15")
"""Seed 003 §I-2.3: administration "preferably no more than 15% of total expenditures"."""

ADMINISTRATIVE_COST_NOTE = (
    "Administrative expenses (seed 003 App. B) recorded by the administrative agency "
    "against the period's quarters, as a percentage of total expenditures: those "
    "expenses plus the services funded for the period; flagged above 15 % (seed 003 "
    '§I-2.3: "preferably no more than 15% of total expenditures").'
)

INELIGIBILITY_RULE = (
    "A provider is flagged ineligible for the next fiscal year when any holdback of the "
    "period's fiscal year, settled by the period's end, was forfeited: the provider did "
    "not report the discharge with a complete GPRA discharge interview within 60 days of "
    "the episode's last service (SPEC §3.5, §3.6)."
)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


async def financial_report(
    uow: UnitOfWork, period: Period, modalities: Mapping[str, str] | None = None
) -> FinancialReport:
    """SPEC §3.6 financial report: per service code and date the allowed units and
    amount at the rate; spend (funded, net of corrections) against the allotment per
    quarter of the fiscal year (SPEC §3.5); per-person cost per modality against seed
    003 Appendix G (persons: clients with a funded line of the modality dated in the
    period; cost: those lines' funded amount), against the state's proposed range for
    the fiscal year where it gave one, else Appendix G's; the administrative cost share
    of total expenditures (seed 003 App. B, §I-2.3)."""
    lines = await read_store.lines_between(uow, period.starts_on, period.ends_on)
    days: dict[tuple[str, object, Decimal | None], list[Decimal]] = {}
    for line in lines:
        if line.allowed_units <= 0:
            continue
        key = (line.service_code, line.service_date, line.unit_rate)
        totals = days.setdefault(key, [Decimal(0), Decimal(0), ZERO])
        totals[0] += 1
        totals[1] += line.allowed_units
        totals[2] += line.allowed_amount
    services = [
        ServiceDayTotal(
            service_code=code,
            service_date=day,
            unit_rate=None if rate is None else _cents(rate),
            lines=int(totals[0]),
            units=int(totals[1]),
            amount=_cents(totals[2]),
        )
        for (code, day, rate), totals in sorted(
            days.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2] or 0)
        )
    ]
    quarters = [
        QuarterSpend(
            fiscal_year=period.fiscal_year,
            quarter=row.quarter,
            allotment=_cents(Decimal(row.allotment)),
            funded=_cents(Decimal(row.funded)),
            left=_cents(Decimal(row.allotment) - Decimal(row.funded)),
            unfunded_lines=int(row.unfunded),
        )
        for row in await read_store.quarter_funding(uow, period.fiscal_year)
    ]
    fundings = await read_store.fundings_between(uow, period.starts_on, period.ends_on)
    funded_by_modality: dict[str, Decimal] = defaultdict(lambda: ZERO)
    persons: dict[str, set[str]] = defaultdict(set)
    for funding in fundings:
        if not funding.funded or funding.amount <= 0:
            continue
        modality = modality_of(funding.service_code, modalities)
        funded_by_modality[modality] += funding.amount
        persons[modality].add(funding.client_id)
    proposed = {
        row.modality: CostRange(
            Decimal(row.low),
            Decimal(row.high),
            f"state's proposal for FY{period.fiscal_year} (seed 003 App. G): {row.justification}",
        )
        for row in await read_store.proposed_costs_of(uow, period.fiscal_year)
    }
    funded = _cents(sum((f.amount for f in fundings if f.funded), ZERO))
    quarters_of_period = [period.quarter] if period.quarter else [1, 2, 3, 4]
    administrative = _cents(
        await read_store.administrative_costs_in(uow, period.fiscal_year, quarters_of_period)
    )
    total = administrative + funded
    share = (
        (administrative * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else None
    )
    return FinancialReport(
        period=period.name,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        services=services,
        allowed_units=sum(s.units for s in services),
        allowed_amount=_cents(sum((s.amount for s in services), ZERO)),
        quarters=quarters,
        funded=funded,
        modalities=[
            _modality_cost(modality, len(persons[modality]), funded_by_modality[modality], proposed)
            for modality in sorted(funded_by_modality)
        ],
        administrative_costs=administrative,
        administrative_cost_share=share,
        administrative_cost_above_limit=share is not None and share > ADMINISTRATIVE_COST_LIMIT,
        administrative_cost_note=ADMINISTRATIVE_COST_NOTE,
    )


def _modality_cost(
    modality: str, persons: int, funded: Decimal, proposed: Mapping[str, CostRange]
) -> ModalityCost:
    """Seed 003 Appendix G: per-person cost = the modality's funded amount / persons,
    against the applicable range (:func:`applicable_range`)."""
    per_person = _cents(funded / persons)
    reasonable = applicable_range(modality, proposed)
    return ModalityCost(
        modality=modality,
        persons=persons,
        funded=_cents(funded),
        per_person=per_person,
        range_low=reasonable.low if reasonable else None,
        range_high=reasonable.high if reasonable else None,
        range_source=reasonable.source if reasonable else None,
        flag=cost_flag(modality, per_person, proposed),
    )


def _reasons(text: str) -> list[str]:
    return [reason for reason in text.split(",") if reason]


@dataclass
class _Tally:
    """One provider's running totals while a report card is built."""

    lines: int = 0
    allowed: Decimal = ZERO
    denied_lines: int = 0
    denied_amount: Decimal = ZERO
    corrected: int = 0
    denials: Counter[str] = field(default_factory=Counter)
    denial_amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    funded: Decimal = ZERO
    settled: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    episodes: Counter[str] = field(default_factory=Counter)
    awards: Decimal = ZERO
    invoiced: Decimal = ZERO


async def provider_report(uow: UnitOfWork, period: Period) -> ProviderReport:
    """SPEC §3.6 provider report cards: per provider its claim lines and amounts,
    denials by reason, funded amount, holdbacks released and forfeited (amount and
    episodes), incentive awards and invoice totals (the runs of the period's months);
    outcome-reporting completeness (released episodes over settled ones, SPEC §3.5:
    released means discharge and GPRA discharge interview reported); abstinence and
    completion outcomes from the GPRA interviews (:func:`provider_outcomes`);
    ``ineligible_next_year`` by :data:`INELIGIBILITY_RULE`."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for provider_id in await read_store.designated_providers(uow):
        tallies.setdefault(provider_id, _Tally())
    for line in await read_store.lines_between(uow, period.starts_on, period.ends_on):
        t = tallies[line.provider_id]
        t.lines += 1
        t.allowed += line.allowed_amount
        t.denied_amount += line.denied_amount
        t.denied_lines += line.outcome == "denied"
        t.corrected += bool(line.corrected)
        for reason in _reasons(line.reasons):
            t.denials[reason] += 1
            t.denial_amounts[reason] += line.denied_amount
    for funding in await read_store.fundings_between(uow, period.starts_on, period.ends_on):
        if funding.funded:
            tallies[funding.provider_id].funded += funding.amount
    for settled in await read_store.settlements_between(uow, period.starts_on, period.ends_on):
        t = tallies[settled.provider_id]
        t.settled[settled.kind] += settled.amount
        t.episodes[settled.kind] += 1
    for award in await read_store.awards_between(uow, period.starts_on, period.ends_on):
        tallies[award.provider_id].awards += award.amount
    for invoice in await read_store.invoices_of_runs(uow, period.months()):
        tallies[invoice.provider_id].invoiced += invoice.total
    forfeited_in_year = Counter(
        row.provider_id
        for row in await read_store.forfeitures_of_year(uow, period.fiscal_year, period.ends_on)
    )
    for provider_id in forfeited_in_year:
        tallies.setdefault(provider_id, _Tally())
    outcomes = await _outcomes(uow, period)
    for provider_id in outcomes:
        tallies.setdefault(provider_id, _Tally())
    return ProviderReport(
        period=period.name,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        rule=INELIGIBILITY_RULE,
        providers=[
            _with_outcomes(
                _card(provider_id, t, forfeited_in_year[provider_id], period.fiscal_year),
                outcomes.get(provider_id),
            )
            for provider_id, t in sorted(tallies.items())
        ],
    )


async def _outcomes(uow: UnitOfWork, period: Period) -> dict[str, tuple[int, int, int]]:
    """Per provider (followed up, abstinent, completions) of the period's quarters, from
    the GPRA outcome read models (:func:`provider_outcomes`, one quarter at a time)."""
    quarters = [period.quarter] if period.quarter else [1, 2, 3, 4]
    totals: dict[str, tuple[int, int, int]] = {}
    for quarter in quarters:
        report = await provider_outcomes(uow, f"{period.fiscal_year}Q{quarter}")
        for row in report.providers:
            followed, abstinent, completions = totals.get(row.provider_id, (0, 0, 0))
            totals[row.provider_id] = (
                followed + row.clients_followed_up,
                abstinent + row.abstinent,
                completions + row.completions,
            )
    return totals


def _with_outcomes(card: ProviderCard, outcome: tuple[int, int, int] | None) -> ProviderCard:
    """The card with its outcomes (SPEC §3.6: "abstinence and completion outcomes")."""
    if outcome is None:
        return card
    followed, abstinent, completions = outcome
    return card.model_copy(
        update={
            "clients_followed_up": followed,
            "abstinent": abstinent,
            "abstinence_rate": (
                (Decimal(abstinent) / Decimal(followed)).quantize(Decimal("0.0001"))
                if followed
                else None
            ),
            "completions": completions,
        }
    )


def _card(provider_id: str, t: _Tally, forfeited: int, year: int) -> ProviderCard:
    released_n = t.episodes["released"]
    forfeited_n = t.episodes["forfeited"]
    settled = released_n + forfeited_n
    return ProviderCard(
        provider_id=provider_id,
        claim_lines=t.lines,
        allowed_amount=_cents(t.allowed),
        denied_lines=t.denied_lines,
        denied_amount=_cents(t.denied_amount),
        denials=[
            DenialCount(reason=reason, lines=count, amount=_cents(t.denial_amounts[reason]))
            for reason, count in sorted(t.denials.items())
        ],
        corrected_lines=t.corrected,
        funded=_cents(t.funded),
        holdbacks_released=_cents(t.settled["released"]),
        released_episodes=released_n,
        holdbacks_forfeited=_cents(t.settled["forfeited"]),
        forfeited_episodes=forfeited_n,
        incentive_awards=_cents(t.awards),
        invoiced=_cents(t.invoiced),
        outcome_reporting_completeness=(
            (Decimal(released_n) / Decimal(settled)).quantize(Decimal("0.0001"))
            if settled
            else None
        ),
        ineligible_next_year=forfeited > 0,
        ineligibility_reason=(
            f"forfeited {forfeited} FY{year} holdback(s): outcomes not reported"
            if forfeited
            else None
        ),
    )


async def integrity_report(uow: UnitOfWork, period: Period, catalog: Catalog) -> IntegrityReport:
    """Program integrity (SPEC §3.6; "a list an auditor would start from"): denials by
    reason per month of service, the choice exceptions and self-referrals recorded in
    the period (SPEC §3.2), and the providers with unusual patterns
    (:func:`services.reporting.domain.patterns.unusual_patterns`: the catalog's daily
    limits billed on most days, many corrections, many denials), each saying why."""
    lines = await read_store.lines_between(uow, period.starts_on, period.ends_on)
    by_month: dict[tuple[str, str], list[Decimal]] = {}
    for line in lines:
        month = f"{line.service_date.year}-{line.service_date.month:02d}"
        for reason in _reasons(line.reasons):
            totals = by_month.setdefault((month, reason), [Decimal(0), ZERO])
            totals[0] += 1
            totals[1] += line.denied_amount
    findings = unusual_patterns(
        (
            BilledLine(
                provider_id=line.provider_id,
                client_id=line.client_id,
                service_code=line.service_code,
                service_date=line.service_date,
                billed_units=line.billed_units,
                denied=line.outcome == "denied",
                corrected=bool(line.corrected),
            )
            for line in lines
        ),
        daily_limits(catalog),
    )
    return IntegrityReport(
        period=period.name,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        denials_by_month=[
            MonthDenials(month=month, reason=reason, lines=int(t[0]), amount=_cents(t[1]))
            for (month, reason), t in sorted(by_month.items())
        ],
        findings=[
            IntegrityFinding(
                provider_id=f.provider_id,
                pattern=f.pattern,
                count=f.count,
                of=f.of,
                share=f.share,
                why=f.why,
            )
            for f in findings
        ],
        choice_exceptions=[
            ChoiceExceptionEntry(
                exception_id=row.exception_id,
                client_id=row.client_id,
                service_code=row.service_code,
                county=row.county,
                shortfalls=" ".join(row.shortfalls),
                offered=len(row.offered),
                organisation_id=row.organisation_id,
                recorded_on=row.recorded_on,
            )
            for row in await read_store.choice_exceptions_between(
                uow, period.starts_on, period.ends_on
            )
        ],
        self_referrals=[
            SelfReferralEntry(
                provider_id=row.provider_id,
                client_id=row.client_id,
                voucher_id=row.voucher_id,
                selected_on=row.selected_on,
            )
            for row in await read_store.self_referrals_between(
                uow, period.starts_on, period.ends_on
            )
        ],
    )


def _section(out: io.StringIO, name: str, rows: Iterable[BaseModel]) -> None:
    """One CSV section: a ``# name`` line, a header, the rows (flat fields only)."""
    rows = list(rows)
    out.write(f"# {name}\r\n")
    if not rows:
        out.write("\r\n")
        return
    fields = [k for k, v in rows[0] if not isinstance(v, list)]
    writer = csv.writer(out)
    writer.writerow(fields)
    for row in rows:
        values = dict(row)
        writer.writerow(["" if values[k] is None else values[k] for k in fields])
    out.write("\r\n")


def report_csv(report: FinancialReport | ProviderReport | IntegrityReport) -> str:
    """A report as CSV (like ``/v1/remittances?format=csv``): one section per table of
    the report, each with its header; nested lists flattened into their own sections."""
    out = io.StringIO()
    out.write(f"# period,{report.period},{report.starts_on},{report.ends_on}\r\n")
    if isinstance(report, FinancialReport):
        _section(out, "services", report.services)
        _section(out, "quarters", report.quarters)
        _section(out, "modalities", report.modalities)
        share = report.administrative_cost_share
        limit = "above_limit" if report.administrative_cost_above_limit else "within_limit"
        out.write(
            f"# administrative_cost_share,{report.administrative_costs},"
            f"{'' if share is None else share},{limit}\r\n"
        )
    elif isinstance(report, ProviderReport):
        _section(out, "providers", report.providers)
        out.write("# denials\r\n")
        writer = csv.writer(out)
        writer.writerow(["provider_id", "reason", "lines", "amount"])
        for card in report.providers:
            for d in card.denials:
                writer.writerow([card.provider_id, d.reason, d.lines, d.amount])
    else:
        _section(out, "denials_by_month", report.denials_by_month)
        _section(out, "findings", report.findings)
        _section(out, "choice_exceptions", report.choice_exceptions)
        _section(out, "self_referrals", report.self_referrals)
    return out.getvalue()
