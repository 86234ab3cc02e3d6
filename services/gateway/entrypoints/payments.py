"""Fiscal-year routes (SPEC §3.5, §4 ``/v1/fiscal-years``): the administrative agency
opens a fiscal year; admins and state systems read its funds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.payments import CreateFiscalYear, FiscalYearFunds
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.proxy import forward_as

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
