"""The payments service's internal HTTP API (called by the gateway; SPEC §4).

``/fiscal-years`` opens a fiscal year (admin) and reads its funds; ``/fundings/{claim}``
answers the funding of one claim line for ``GET /v1/claims/{id}`` (``/fundings?claim_id=``
of a page of ``GET /v1/claims``); ``/invoice-runs``
makes a month's run (admin) and ``/remittances`` reads a provider's statement;
``/fiscal-years/{year}/incentives`` distributes the year's incentive pool (admin).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from contracts.api.claims import CLAIM_PAGE_LIMIT
from contracts.api.payments import (
    AdministrativeCost,
    CreateFiscalYear,
    CreateInvoiceRun,
    FiscalYearFunds,
    Funding,
    IncentiveDistribution,
    InvoiceRun,
    RecordAdministrativeCost,
    Remittance,
)
from contracts.payments import fiscal_year_name
from services.kit.deps import CallerDep, UnitOfWorkDep
from services.kit.http import problem, validation_problem
from services.payments.service_layer.administrative_costs import (
    ReferenceReusedError,
    record_administrative_cost,
)
from services.payments.service_layer.fiscal_years import (
    FiscalYearExistsError,
    funds_of,
    open_year,
)
from services.payments.service_layer.incentives import (
    FiscalYearNotOpenError,
    IncentiveError,
    distribute_pool,
)
from services.payments.service_layer.invoicing import (
    RunExistsError,
    cutoff_of,
    remittance,
    remittance_csv,
    run_invoices,
)
from services.payments.service_layer.line_status import line_funding, lines_funding

router = APIRouter()


@router.post("/fiscal-years", status_code=201, response_model=FiscalYearFunds)
async def create_fiscal_year(
    body: CreateFiscalYear, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> FiscalYearFunds | Response:
    """Open a fiscal year with its allotments (admin only; 409 when it exists)."""
    if actor.role != "admin":
        raise HTTPException(403, "only the administrative agency opens fiscal years")
    try:
        funds = await open_year(uow, body, actor.token_id, request.app.state.clock.today())
    except FiscalYearExistsError as exc:
        return problem(409, f"{exc} is already open; its allotments stay as they are")
    await uow.commit()
    return funds


@router.get("/fiscal-years/{fiscal_year}", response_model=FiscalYearFunds)
async def read_fiscal_year(
    fiscal_year: int, request: Request, uow: UnitOfWorkDep
) -> FiscalYearFunds:
    """The year's allotments and what is obligated, payable, held back and left."""
    funds = await funds_of(uow, fiscal_year, today=request.app.state.clock.today())
    if funds is None:
        raise HTTPException(404, f"{fiscal_year_name(fiscal_year)} is not open")
    return funds


@router.post(
    "/fiscal-years/{fiscal_year}/incentives",
    status_code=201,
    response_model=IncentiveDistribution,
)
async def distribute_incentives(
    fiscal_year: int, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> IncentiveDistribution | Response:
    """Distribute the year's incentive pool (admin only; 404 for a year never opened,
    409 before the year ended, with holdbacks still open, or when distributed before)."""
    if actor.role != "admin":
        raise HTTPException(403, "only the administrative agency distributes the pool")
    try:
        distribution = await distribute_pool(
            uow, fiscal_year, request.app.state.clock.today(), actor.token_id
        )
        await uow.commit()
    except FiscalYearNotOpenError as exc:
        raise HTTPException(404, str(exc)) from exc
    except IncentiveError as exc:
        return problem(409, str(exc))
    except IntegrityError:
        return problem(409, f"{fiscal_year_name(fiscal_year)}'s pool was distributed already")
    return distribution


@router.post(
    "/fiscal-years/{fiscal_year}/administrative-costs",
    status_code=201,
    response_model=AdministrativeCost,
)
async def record_administrative_expense(
    fiscal_year: int,
    body: RecordAdministrativeCost,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    actor: CallerDep,
) -> AdministrativeCost | Response:
    """Record an administrative expense (admin only; 200 for the same reference again,
    409 for the reference with other figures, 404 for a year not open)."""
    if actor.role != "admin":
        raise HTTPException(403, "only the administrative agency records its costs")
    try:
        cost, new = await record_administrative_cost(
            uow, fiscal_year, body, actor.token_id, request.app.state.clock.today()
        )
    except FiscalYearNotOpenError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ReferenceReusedError as exc:
        return problem(409, str(exc))
    try:
        await uow.commit()
    except IntegrityError:
        return problem(409, f"reference {body.reference} was recorded at the same time")
    if not new:
        response.status_code = 200
    return cost


@router.get("/fundings", response_model=dict[str, Funding])
async def read_fundings(
    claim_id: Annotated[list[str], Query(min_length=1, max_length=CLAIM_PAGE_LIMIT)],
    uow: UnitOfWorkDep,
) -> dict[str, Funding]:
    """The funding decisions of a page of the claims list (``GET /v1/claims``), by
    claim id; a line without one yet is left out."""
    return await lines_funding(uow, claim_id)


@router.get("/fundings/{claim_id}", response_model=Funding)
async def read_funding(claim_id: str, uow: UnitOfWorkDep) -> Funding:
    """The funding decision on one approved claim line, its invoice and holdback state
    (404 until there is one)."""
    funding = await line_funding(uow, claim_id)
    if funding is None:
        raise HTTPException(404, "no funding decision for this claim")
    return funding


@router.post("/invoice-runs", status_code=201, response_model=InvoiceRun)
async def create_invoice_run(
    body: CreateInvoiceRun, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> InvoiceRun | Response:
    """The month's invoice run (admin only; 409 when the month was run, 422 for a month
    that has not begun: its run pays what was dated before its first day)."""
    if actor.role != "admin":
        raise HTTPException(403, "only the administrative agency runs invoices")
    if cutoff_of(body.period) > request.app.state.clock.today():
        return validation_problem(
            [{"loc": ["body", "period"], "msg": "this month has not begun", "type": "value_error"}]
        )
    try:
        run = await run_invoices(uow, body.period, actor.token_id)
        await uow.commit()
    except (RunExistsError, IntegrityError):
        return problem(409, f"{body.period} was invoiced already")
    return run


@router.get("/remittances", response_model=Remittance)
async def read_remittance(
    period: Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")],
    provider_id: Annotated[str, Query(min_length=1, max_length=64)],
    uow: UnitOfWorkDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Remittance | Response:
    """A provider's statement for the month's run, as JSON or CSV (404 before the run)."""
    statement = await remittance(uow, period, provider_id)
    if statement is None:
        raise HTTPException(404, f"no invoice run for {period}")
    if format == "csv":
        return Response(remittance_csv(statement), media_type="text/csv")
    return statement
