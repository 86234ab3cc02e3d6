"""Reporting's GPRA outcome and follow-up routes (called by the gateway, which checks
the caller's role: SPEC §4 ``GET /v1/reports/...``, admin and state_system)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from contracts.api.outcome_reports import (
    QUARTER_PATTERN,
    FollowUpReport,
    GpraQuarterReport,
    ProviderOutcomesReport,
)
from services.kit.deps import SettingsDep, UnitOfWorkDep
from services.kit.program import active_catalog
from services.reporting.service_layer import outcomes

router = APIRouter()

Quarter = Annotated[str, Query(pattern=QUARTER_PATTERN, examples=["2027Q2"])]
Format = Annotated[Literal["json", "csv"], Query()]


@router.get("/reports/gpra", response_model=GpraQuarterReport, operation_id="readGpraReport")
async def gpra_report(
    period: Quarter, uow: UnitOfWorkDep, settings: SettingsDep, format: Format = "json"
) -> GpraQuarterReport | Response:
    """The quarter's GPRA report (SPEC §3.6), as JSON or CSV (retention by the active
    catalog's GPRA categories)."""
    report = await outcomes.gpra_report(uow, period, active_catalog(settings))
    if format == "csv":
        return Response(outcomes.gpra_report_csv(report), media_type="text/csv")
    return report


@router.get("/reports/follow-up", response_model=FollowUpReport, operation_id="readFollowUp")
async def follow_up_report(
    as_of: Annotated[date, Query()], uow: UnitOfWorkDep, format: Format = "json"
) -> FollowUpReport | Response:
    """GPRA interviews due and overdue program-wide and follow-up rates (SPEC §3.6)."""
    report = await outcomes.follow_up_report(uow, as_of)
    if format == "csv":
        return Response(outcomes.follow_up_csv(report), media_type="text/csv")
    return report


@router.get("/reports/outcomes", response_model=ProviderOutcomesReport, operation_id="readOutcomes")
async def provider_outcomes(
    period: Quarter, uow: UnitOfWorkDep, format: Format = "json"
) -> ProviderOutcomesReport | Response:
    """Abstinence and completions per provider in the quarter (SPEC §3.6)."""
    report = await outcomes.provider_outcomes(uow, period)
    if format == "csv":
        return Response(outcomes.provider_outcomes_csv(report), media_type="text/csv")
    return report
