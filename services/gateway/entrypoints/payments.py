"""Payments routes (SPEC §3.5, §4): the administrative agency opens fiscal years and
runs the monthly invoices and distributes a year's incentive pool at year end; admins
and state systems read a year's funds; providers read their remittance statements
(admins any provider's)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.payments import (
    AdministrativeCost,
    CreateFiscalYear,
    CreateInvoiceRun,
    FiscalYearFunds,
    IncentiveDistribution,
    InvoiceRun,
    RecordAdministrativeCost,
    Remittance,
)
from contracts.fields import ID_PATTERN
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.proxy import forward, forward_as

router = APIRouter(prefix="/v1/fiscal-years", tags=["payments"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=FiscalYearFunds, operation_id="openFiscalYear")
async def open_fiscal_year(
    body: CreateFiscalYear, request: Request, principal: Principal = Depends(require(Role.ADMIN))
) -> FiscalYearFunds | Response:
    """Open a fiscal year (July to June, named by its end year) with four quarterly
    allotments released Jul 1, Oct 1, Jan 1 and Apr 1 (equal unless given); 409 when it
    is already open."""
    return await forward_as(
        request,
        FiscalYearFunds,
        "payments",
        "/fiscal-years",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.get("/{fiscal_year}", response_model=FiscalYearFunds, operation_id="readFiscalYear")
async def read_fiscal_year(
    fiscal_year: Annotated[int, Path(ge=2005, le=2100)],
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN, Role.STATE_SYSTEM)),
) -> FiscalYearFunds | Response:
    """The year's allotments and, per quarter and in all, what is obligated, payable,
    held back and left."""
    return await forward_as(
        request,
        FiscalYearFunds,
        "payments",
        f"/fiscal-years/{fiscal_year}",
        principal=principal,
    )


@router.post(
    "/{fiscal_year}/incentives",
    status_code=201,
    response_model=IncentiveDistribution,
    operation_id="distributeIncentives",
)
async def distribute_incentives(
    fiscal_year: Annotated[int, Path(ge=2005, le=2100)],
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> IncentiveDistribution | Response:
    """Distribute the year's incentive pool, its forfeited holdbacks, to the providers in
    proportion to their successful completions (SPEC §3.5; seed 003 §II footnote 2):
    administrative agency only, once per year, after June 30 and when none of the
    year's holdbacks is open (409 otherwise). The awards are paid on the next invoice
    run."""
    return await forward_as(
        request,
        IncentiveDistribution,
        "payments",
        f"/fiscal-years/{fiscal_year}/incentives",
        principal=principal,
    )


@router.post(
    "/{fiscal_year}/administrative-costs",
    status_code=201,
    response_model=AdministrativeCost,
    operation_id="recordAdministrativeCost",
)
async def record_administrative_cost(
    fiscal_year: Annotated[int, Path(ge=2005, le=2100)],
    body: RecordAdministrativeCost,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> AdministrativeCost | Response:
    """Record an administrative expense of a fiscal quarter (seed 003 App. B categories):
    administrative agency only; 200 when the same reference was recorded with the same
    figures, 409 with other figures, 404 for a year not open. The financial report
    shows the administrative share of total expenditures against 15 % (seed 003
    §I-2.3)."""
    return await forward_as(
        request,
        AdministrativeCost,
        "payments",
        f"/fiscal-years/{fiscal_year}/administrative-costs",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


invoice_router = APIRouter(tags=["payments"], responses=ERROR_RESPONSES)


@invoice_router.post(
    "/v1/invoice-runs", status_code=201, response_model=InvoiceRun, operation_id="runInvoices"
)
async def run_invoices(
    body: CreateInvoiceRun, request: Request, principal: Principal = Depends(require(Role.ADMIN))
) -> InvoiceRun | Response:
    """The month's invoice run (administrative agency only): it pays every payable line
    with a service date before the month's first day that no earlier run paid, and the
    holdbacks released before that day; one invoice per provider; 409 when the month
    was run already."""
    return await forward_as(
        request,
        InvoiceRun,
        "payments",
        "/invoice-runs",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@invoice_router.get(
    "/v1/remittances",
    response_model=Remittance,
    operation_id="readRemittance",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def read_remittance(
    request: Request,
    period: Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])],
    provider_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)
    ] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> Response:
    """A provider's remittance statement for the month's run: every line it paid or
    reported (paid, held back, unfunded, denied with reasons) and the holdbacks it
    released, as JSON or CSV. A provider reads its own (``provider_id`` is its own or
    left out); an admin names the provider."""
    if principal.role is Role.PROVIDER:
        if provider_id not in (None, principal.provider_id):
            raise HTTPException(404, "no such statement")
        provider_id = principal.provider_id
    if provider_id is None:
        raise RequestValidationError(
            [{"loc": ("query", "provider_id"), "msg": "name the provider", "type": "missing"}]
        )
    return await forward(
        request,
        "payments",
        "/remittances",
        principal=principal,
        params={"period": period, "provider_id": provider_id, "format": format},
    )
