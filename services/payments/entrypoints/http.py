"""The payments service's internal HTTP API (called by the gateway; SPEC §4).

``/fiscal-years`` opens a fiscal year (admin) and reads its funds; ``/fundings/{claim}``
answers the funding of one claim line for ``GET /v1/claims/{id}``.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select

from contracts.api.payments import CreateFiscalYear, FiscalYearFunds, Funding
from contracts.payments import fiscal_year_name
from services.kit.deps import CallerDep, UnitOfWorkDep
from services.kit.http import problem
from services.payments.adapters.orm import fundings
from services.payments.service_layer.fiscal_years import (
    FiscalYearExistsError,
    funds_of,
    open_year,
)

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


@router.get("/fundings/{claim_id}", response_model=Funding)
async def read_funding(claim_id: str, uow: UnitOfWorkDep) -> Funding:
    """The funding decision on one approved claim line (404 until there is one)."""
    row = (
        await uow.session.execute(select(fundings).where(fundings.c.claim_id == claim_id))
    ).first()
    if row is None:
        raise HTTPException(404, "no funding decision for this claim")
    return Funding(
        funded=row.funded,
        fiscal_year=row.fiscal_year,
        quarter=row.quarter,
        amount=row.amount,
        payable=row.payable,
        holdback=row.holdback,
        reason=row.reason,
    )
