"""The ledger's invariants, checked against the database (SPEC §3.5 "Invariants at all
times").

1. Obligations never exceed released allotments: for every fiscal year and quarter k,
   what services dated up to k obligated stays within the allotments up to k.
2. For every line, payable + holdback = funded amount (0 and 0 for an unfunded line).
3. No line is paid twice: a line belongs to at most one invoice run, and every invoice
   equals the sum of its run's lines, releases, incentive awards and adjustments for
   the provider.
4. Every cent held back is accounted for: per fiscal year, the holdbacks (open, released,
   forfeited) add up to what the funded lines held back, and the releases paid, less
   what corrections took back of them, equal the released holdbacks.
5. The kept quarter sums equal the funded lines they sum.
6. Every cent of a forfeited holdback is accounted for in the incentive pool: for a
   distributed year, its awards plus what stayed undistributed equal the pool (the
   year's forfeited holdbacks when it was distributed), and the pool is within the
   year's forfeited holdbacks now (seed 003 §II footnote 2, SPEC §3.5).

:func:`check_ledger` returns the violations (none when the ledger is sound); ``atr
payments check`` prints them and the service exports their count as a metric.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.adapters.orm import (
    adjustments,
    fiscal_years,
    fundings,
    holdbacks,
    incentive_awards,
    incentive_distributions,
    invoices,
    quarter_totals,
    releases,
)
from services.payments.domain.funding import QUARTERS

ZERO = Decimal("0.00")


async def check_ledger(session: AsyncSession) -> list[str]:
    """Every violated invariant, one line each (no PHI: ids and amounts only)."""
    problems: list[str] = []
    funded: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    held_per_year: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in await session.execute(select(fundings)):
        if row.funded:
            if row.payable + row.holdback != row.amount:
                problems.append(
                    f"line {row.claim_id}: payable {row.payable} + holdback {row.holdback} "
                    f"!= funded {row.amount}"
                )
            sums = funded[(row.fiscal_year, row.quarter)]
            sums[0] += row.amount
            sums[1] += row.payable
            sums[2] += row.holdback
            held_per_year[row.fiscal_year] += row.holdback
        elif row.payable != 0 or row.holdback != 0:
            problems.append(f"line {row.claim_id}: unfunded but payable or held back")
    kept = {
        (row.fiscal_year, row.quarter): [row.obligated, row.payable, row.held_back]
        for row in await session.execute(select(quarter_totals))
    }
    for key in sorted(set(kept) | set(funded)):
        if kept.get(key, [ZERO, ZERO, ZERO]) != funded.get(key, [ZERO, ZERO, ZERO]):
            problems.append(f"FY{key[0]} Q{key[1]}: quarter sums differ from the funded lines")
    for year in await session.execute(select(fiscal_years)):
        allotments = (year.q1, year.q2, year.q3, year.q4)
        obligated = released = ZERO
        for quarter in QUARTERS:
            obligated += funded.get((year.fiscal_year, quarter), [ZERO])[0]
            released += allotments[quarter - 1]
            if obligated > released:
                problems.append(
                    f"FY{year.fiscal_year} Q{quarter}: obligated {obligated} > released {released}"
                )
    held_back: dict[int, Decimal] = defaultdict(lambda: ZERO)
    released_holdbacks: dict[int, Decimal] = defaultdict(lambda: ZERO)
    forfeited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in await session.execute(select(holdbacks)):
        held_back[row.fiscal_year] += row.amount
        if row.state == "released":
            released_holdbacks[row.fiscal_year] += row.amount
        elif row.state == "forfeited":
            forfeited[row.fiscal_year] += row.amount
    for year_number in sorted(set(held_back) | set(held_per_year)):
        if held_back[year_number] != held_per_year[year_number]:
            problems.append(
                f"FY{year_number}: holdbacks {held_back[year_number]} != held back on lines "
                f"{held_per_year[year_number]}"
            )
    paid_releases: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in await session.execute(
        select(releases.c.fiscal_year, func.sum(releases.c.amount)).group_by(releases.c.fiscal_year)
    ):
        paid_releases[row[0]] = Decimal(row[1])
    for row in await session.execute(
        select(adjustments.c.fiscal_year, func.sum(adjustments.c.released_clawback)).group_by(
            adjustments.c.fiscal_year
        )
    ):
        paid_releases[row[0]] += Decimal(row[1])
    for year_number in sorted(set(paid_releases) | set(released_holdbacks)):
        if paid_releases[year_number] != released_holdbacks[year_number]:
            problems.append(f"FY{year_number}: releases differ from released holdbacks")
    problems += await _pools_accounted(session, forfeited)
    problems += await _invoices_match(session)
    return problems


async def _pools_accounted(session: AsyncSession, forfeited: dict[int, Decimal]) -> list[str]:
    """Invariant 6: a distributed pool's awards plus its undistributed rest equal the
    pool, the awards of its year, and the pool is no more than the year forfeited."""
    awarded: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for year, amount in await session.execute(
        select(incentive_awards.c.fiscal_year, incentive_awards.c.amount)
    ):
        awarded[year] += amount
    problems = []
    distributed = set()
    for row in await session.execute(select(incentive_distributions)):
        year = row.fiscal_year
        distributed.add(year)
        if awarded[year] != row.distributed or row.distributed + row.undistributed != row.pool:
            problems.append(
                f"FY{year}: incentive awards {awarded[year]} + undistributed "
                f"{row.undistributed} != pool {row.pool}"
            )
        if row.pool > forfeited[year]:
            problems.append(f"FY{year}: pool {row.pool} > forfeited holdbacks {forfeited[year]}")
    for year in sorted(set(awarded) - distributed):
        problems.append(f"FY{year}: incentives awarded without a distribution")
    return problems


async def _invoices_match(session: AsyncSession) -> list[str]:
    """Each invoice equals its run's funded lines, releases, incentive awards and
    adjustments for its provider."""
    taken_back: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for claim_id, clawback in await session.execute(
        select(adjustments.c.claim_id, adjustments.c.payable_clawback).where(
            adjustments.c.payable_clawback != 0
        )
    ):
        taken_back[claim_id] += clawback
    lines: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for row in await session.execute(
        select(
            fundings.c.claim_id, fundings.c.run_id, fundings.c.provider_id, fundings.c.payable
        ).where(fundings.c.run_id.is_not(None), fundings.c.funded.is_(True))
    ):
        # what the run paid: the payable then, before corrections made after it
        lines[(row.run_id, row.provider_id)] += row.payable - taken_back[row.claim_id]
    paid: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for run_id, provider_id, amount in await session.execute(
        select(releases.c.run_id, releases.c.provider_id, releases.c.amount).where(
            releases.c.run_id.is_not(None)
        )
    ):
        paid[(run_id, provider_id)] += amount
    adjusted: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for run_id, provider_id, taken in await session.execute(
        select(
            adjustments.c.run_id,
            adjustments.c.provider_id,
            adjustments.c.payable_clawback + adjustments.c.released_clawback,
        ).where(adjustments.c.run_id.is_not(None))
    ):
        adjusted[(run_id, provider_id)] += taken
    awarded: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for run_id, provider_id, amount in await session.execute(
        select(
            incentive_awards.c.run_id, incentive_awards.c.provider_id, incentive_awards.c.amount
        ).where(incentive_awards.c.run_id.is_not(None))
    ):
        awarded[(run_id, provider_id)] += amount
    problems = []
    invoiced = set()
    for row in await session.execute(select(invoices)):
        key = (row.run_id, row.provider_id)
        invoiced.add(key)
        expected = (lines[key], paid[key], awarded[key], adjusted[key])
        if (row.payable, row.released, row.incentives, row.adjusted) != expected or (
            row.total != row.payable + row.released + row.incentives + row.adjusted
        ):
            problems.append(
                f"invoice {row.invoice_id}: differs from its lines, releases, awards and "
                "adjustments"
            )
    for key in sorted((set(lines) | set(paid) | set(adjusted) | set(awarded)) - invoiced):
        if lines[key] or paid[key] or adjusted[key] or awarded[key]:
            problems.append(f"run {key[0]}: {key[1]} was paid without an invoice")
    return problems
