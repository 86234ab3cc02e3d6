"""The incentive pool distributed at year end (SPEC §3.5; seed 003 App. E §2 incentives,
§II footnote 2).

Payments keeps what it needs from ``atr.clients.v1``: each complete GPRA discharge
interview by a provider (a completion, with its discharge reason) and every drug test.
After a fiscal year has ended and none of its holdbacks is open any more, the
administrative agency distributes the year's pool (its forfeited holdbacks) once: each
provider's share is proportional to the distinct clients it discharged successfully in
the year (:func:`services.payments.domain.incentives.successful`), awarded as an
``IncentiveAwarded`` event and paid on the next invoice run. When no provider had a
successful completion nothing is awarded and the pool stays undistributed (recorded, so
the year is not distributed again).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from contracts.api.payments import IncentiveAward, IncentiveDistribution
from contracts.clients import DrugTestRecorded, GpraRecorded
from contracts.payments import IncentiveAwarded, IncentiveAwardedData, fiscal_year_name
from contracts.topics import PAYMENTS
from services.kit.unit_of_work import UnitOfWork
from services.payments.adapters.orm import (
    completions,
    drug_tests,
    holdbacks,
    incentive_awards,
    incentive_distributions,
)
from services.payments.domain.funding import quarter_start
from services.payments.domain.incentives import DrugTest, distribute, successful
from services.payments.service_layer.fiscal_years import load_years
from services.payments.service_layer.holdbacks import FORFEITED, OPEN, settled_in

ZERO = Decimal("0.00")


class IncentiveError(Exception):
    """The pool cannot be distributed now (HTTP 409)."""


class PoolDistributedError(IncentiveError):
    """The year's pool was distributed before: once per fiscal year."""


class FiscalYearNotEndedError(IncentiveError):
    """The pool is paid at year end: not before the day after June 30."""


class HoldbacksOpenError(IncentiveError):
    """Some of the year's holdbacks are still open: the pool is not final yet."""


class FiscalYearNotOpenError(Exception):
    """The fiscal year was never opened (HTTP 404)."""


async def record_completion(uow: UnitOfWork, event: GpraRecorded) -> None:
    """Keep a complete GPRA discharge interview by a provider, with its discharge reason
    and whether it was a brief intervention (seed 003 §II footnote 2); the same interview
    again (same client, provider and day) replaces it."""
    data = event.data
    if data.kind != "discharge" or not data.complete or data.provider_id is None:
        return
    key = (
        completions.c.client_id == data.client_id,
        completions.c.provider_id == data.provider_id,
        completions.c.conducted_on == data.conducted_on,
    )
    values = {
        "discharge_reason": data.discharge_reason,
        "brief_intervention": data.brief_intervention,
    }
    if await uow.session.scalar(select(func.count()).select_from(completions).where(*key)):
        await uow.session.execute(completions.update().where(*key).values(**values))
        return
    await uow.session.execute(
        completions.insert().values(
            client_id=data.client_id,
            provider_id=data.provider_id,
            conducted_on=data.conducted_on,
            **values,
        )
    )


async def record_drug_test(uow: UnitOfWork, event: DrugTestRecorded) -> None:
    """Keep a drug test for the successful-completion rule (seed 003 §II footnote 2);
    a test already kept (its ``test_id``) is not kept twice."""
    data = event.data
    if await uow.session.scalar(
        select(drug_tests.c.test_id).where(drug_tests.c.test_id == data.test_id)
    ):
        return
    await uow.session.execute(
        drug_tests.insert().values(
            test_id=data.test_id,
            client_id=data.client_id,
            tested_on=data.tested_on,
            random=data.random,
            result=data.result,
        )
    )


async def successful_completions(uow: UnitOfWork, fiscal_year: int) -> dict[str, int]:
    """Per provider, the distinct clients whose discharge GPRA interview by it, conducted
    in the fiscal year (July 1 to June 30, SPEC §3.5), is a successful completion (seed
    003 §II footnote 2: treatment plan completed, the last four random drug tests on or
    before the interview negative; brief interventions exempt from the tests)."""
    discharged = (
        await uow.session.execute(
            select(completions).where(
                completions.c.conducted_on >= quarter_start(fiscal_year, 1),
                completions.c.conducted_on <= date(fiscal_year, 6, 30),
            )
        )
    ).all()
    tests: dict[str, list[DrugTest]] = defaultdict(list)
    clients = sorted({row.client_id for row in discharged})
    if clients:
        for test in await uow.session.execute(
            select(drug_tests.c.client_id, drug_tests.c.tested_on, drug_tests.c.result).where(
                drug_tests.c.client_id.in_(clients), drug_tests.c.random.is_(True)
            )
        ):
            tests[test.client_id].append((test.tested_on, test.result))
    succeeded: dict[str, set[str]] = defaultdict(set)
    for row in discharged:
        before = [test for test in tests[row.client_id] if test[0] <= row.conducted_on]
        if successful(row.discharge_reason, row.brief_intervention, before):
            succeeded[row.provider_id].add(row.client_id)
    return {provider: len(clients) for provider, clients in sorted(succeeded.items())}


async def distribute_pool(
    uow: UnitOfWork, fiscal_year: int, today: date, by: str | None
) -> IncentiveDistribution:
    """Distribute the fiscal year's incentive pool (SPEC §3.5: forfeited holdbacks "paid
    at year end to providers in proportion to their successful completions"; seed 003
    §II footnote 2): once per year, after June 30 of the year, when none of the year's
    holdbacks is open. Awards go to the next invoice run, one ``IncentiveAwarded``
    event each; with no successful completion the pool stays undistributed."""
    name = fiscal_year_name(fiscal_year)
    years = await load_years(uow, {fiscal_year}, lock=True)
    if fiscal_year not in years:
        raise FiscalYearNotOpenError(f"{name} is not open")
    if today <= years[fiscal_year].ends_on:
        raise FiscalYearNotEndedError(
            f"{name} ends on {years[fiscal_year].ends_on}: its pool is paid after that day"
        )
    if await uow.session.scalar(
        select(incentive_distributions.c.fiscal_year).where(
            incentive_distributions.c.fiscal_year == fiscal_year
        )
    ):
        raise PoolDistributedError(f"{name}'s incentive pool was distributed already")
    still_open = await uow.session.scalar(
        select(func.count())
        .select_from(holdbacks)
        .where(holdbacks.c.fiscal_year == fiscal_year, holdbacks.c.state == OPEN)
    )
    if still_open:
        raise HoldbacksOpenError(
            f"{still_open} of {name}'s holdbacks are still open: they are released or "
            "forfeited 60 days after their last service, then the pool can be distributed"
        )
    pool = (await settled_in(uow, fiscal_year))[FORFEITED]
    counted = await successful_completions(uow, fiscal_year)
    shares = distribute(pool, counted)
    awards = [
        IncentiveAward(provider_id=provider, completions=counted[provider], amount=amount)
        for provider, amount in shares.items()
        if amount > 0
    ]
    for award in awards:
        await uow.session.execute(
            incentive_awards.insert().values(
                fiscal_year=fiscal_year, awarded_on=today, run_id=None, **award.model_dump()
            )
        )
        uow.emit(
            PAYMENTS,
            IncentiveAwarded(
                subject=award.provider_id,
                data=IncentiveAwardedData(
                    fiscal_year=fiscal_year, pool=pool, awarded_on=today, **award.model_dump()
                ),
            ),
        )
    distributed = sum((award.amount for award in awards), ZERO)
    await uow.session.execute(
        incentive_distributions.insert().values(
            fiscal_year=fiscal_year,
            pool=pool,
            distributed=distributed,
            undistributed=pool - distributed,
            distributed_by=by,
            distributed_at=datetime.now(UTC),
        )
    )
    note = None
    if not counted:
        note = f"no provider had a successful completion in {name}: the pool stays undistributed"
    elif pool == 0:
        note = f"{name} forfeited no holdbacks: the pool is empty"
    return IncentiveDistribution(
        fiscal_year=fiscal_year,
        pool=pool,
        distributed=distributed,
        undistributed=pool - distributed,
        awards=awards,
        note=note,
    )
