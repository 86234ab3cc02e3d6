"""GPRA outcome and follow-up report routes (SPEC §3.6, §4 ``GET /v1/reports/...``):
admins and state systems read them, as JSON or CSV; other roles get 403. The reporting
service answers; the gateway checks the role and the parameters (422 naming the field).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.outcome_reports import (
    QUARTER_PATTERN,
    FollowUpReport,
    GpraQuarterReport,
    ProviderOutcomesReport,
)
from services.gateway.domain.tokens import Principal
from services.gateway.entrypoints.proxy import forward
from services.gateway.entrypoints.reports import CSV, readers
from services.gateway.entrypoints.reports import FormatQuery as Format

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

Quarter = Annotated[
    str,
    Query(
        pattern=QUARTER_PATTERN,
        description="A fiscal quarter: FY (July-June, named by its end year) and Q1-Q4.",
        examples=["2027Q2"],
    ),
]


@router.get("/gpra", response_model=GpraQuarterReport, operation_id="readGpraReport", responses=CSV)
async def read_gpra_report(
    request: Request,
    period: Quarter,
    format: Format = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """The quarter's GPRA report to SAMHSA (seed 003 §VI-3.1, App. C): the seven domains
    at intake vs the latest follow-up or discharge (abstinence first), access/capacity,
    retention, and the day it is due (30 days after the quarter's end)."""
    return await forward(
        request,
        "reporting",
        "/reports/gpra",
        principal=principal,
        params={"period": period, "format": format},
    )


@router.get(
    "/follow-up", response_model=FollowUpReport, operation_id="readFollowUpReport", responses=CSV
)
async def read_follow_up_report(
    request: Request,
    as_of: Annotated[date, Query(examples=["2027-01-15"])],
    format: Format = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """GPRA interviews due and overdue program-wide on ``as_of`` (intake, follow-ups,
    discharge, post-exit sample; a voucher discharge opens the discharge interview),
    and the follow-up rate per provider and program-wide. Clients by pseudonymous id."""
    return await forward(
        request,
        "reporting",
        "/reports/follow-up",
        principal=principal,
        params={"as_of": as_of.isoformat(), "format": format},
    )


@router.get(
    "/outcomes",
    response_model=ProviderOutcomesReport,
    operation_id="readProviderOutcomes",
    responses=CSV,
)
async def read_provider_outcomes(
    request: Request,
    period: Quarter,
    format: Format = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """Per provider in the quarter: the abstinence rate at follow-up or discharge and
    the treatment completions (the report cards' outcome measures)."""
    return await forward(
        request,
        "reporting",
        "/reports/outcomes",
        principal=principal,
        params={"period": period, "format": format},
    )
