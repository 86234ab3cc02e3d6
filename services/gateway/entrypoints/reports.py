"""Report routes (SPEC §3.6, §4 ``GET /v1/reports/...``: admin and state_system): the
financial report, provider report cards and program integrity, per fiscal year or
quarter, as JSON or CSV. The reporting service builds them from the topics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.reports import FinancialReport, IntegrityReport, ProviderReport
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.proxy import forward

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

PERIOD = r"^20[0-9]{2}(Q[1-4])?$"
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
PeriodQuery = Annotated[
    str,
    Query(
        pattern=PERIOD,
        examples=["2027Q2"],
        description="A fiscal year (`2027`: July 2026 to June 2027) or one of its quarters "
        "(`2027Q2`: October to December 2026).",
    ),
]
FormatQuery = Annotated[Literal["json", "csv"], Query()]
readers = require(Role.ADMIN, Role.STATE_SYSTEM)


async def _report(
    request: Request, name: str, period: str, format: str, principal: Principal
) -> Response:
    """Forward to the reporting service and relay its JSON or CSV."""
    return await forward(
        request,
        "reporting",
        f"/reports/{name}",
        principal=principal,
        params={"period": period, "format": format},
    )


@router.get(
    "/financial",
    response_model=FinancialReport,
    operation_id="readFinancialReport",
    responses=CSV,
)
async def read_financial_report(
    request: Request,
    period: PeriodQuery,
    format: FormatQuery = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """Per service and date the allowed units and amount at the rate; spend against the
    allotment per quarter; per-person cost per modality against seed 003 Appendix G's
    reasonable ranges; the administrative cost share (not held by the platform)."""
    return await _report(request, "financial", period, format, principal)


@router.get(
    "/providers",
    response_model=ProviderReport,
    operation_id="readProviderReportCards",
    responses=CSV,
)
async def read_provider_report(
    request: Request,
    period: PeriodQuery,
    format: FormatQuery = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """A report card per provider: claims and amounts, denials by reason, holdbacks
    released and forfeited, incentive awards, outcome-reporting completeness and the
    flag for ineligibility next fiscal year."""
    return await _report(request, "providers", period, format, principal)


@router.get(
    "/integrity",
    response_model=IntegrityReport,
    operation_id="readIntegrityReport",
    responses=CSV,
)
async def read_integrity_report(
    request: Request,
    period: PeriodQuery,
    format: FormatQuery = "json",
    principal: Principal = Depends(readers),
) -> Response:
    """Denials by reason per month and the providers with unusual billing patterns,
    each saying why it is listed: where an auditor starts."""
    return await _report(request, "integrity", period, format, principal)
