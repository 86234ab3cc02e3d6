"""Reporting's internal HTTP API (called by the gateway, signed callers only; SPEC §3.6
and §4 ``GET /v1/reports/...``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from contracts.api.reports import FinancialReport, IntegrityReport, ProviderReport
from programs.catalog import Catalog
from services.kit.deps import CallerDep, SettingsDep, UnitOfWorkDep
from services.kit.program import active_catalog
from services.reporting.domain.periods import PERIOD_PATTERN, Period
from services.reporting.service_layer.capacity import capacity
from services.reporting.service_layer.reports import (
    financial_report,
    integrity_report,
    provider_report,
    report_csv,
)

router = APIRouter()

PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, examples=["2027Q2"])]
FormatQuery = Annotated[Literal["json", "csv"], Query()]


def _answer(
    report: FinancialReport | ProviderReport | IntegrityReport, format: str
) -> FinancialReport | ProviderReport | IntegrityReport | Response:
    if format == "csv":
        return Response(report_csv(report), media_type="text/csv")
    return report


@router.get("/reports/capacity", operation_id="readCapacityReport")
async def capacity_report(uow: UnitOfWorkDep, _caller: CallerDep) -> dict[str, int]:
    """Access/capacity counters."""
    return await capacity(uow)


@router.get("/reports/financial", response_model=FinancialReport)
async def read_financial_report(
    period: PeriodQuery, uow: UnitOfWorkDep, _caller: CallerDep, format: FormatQuery = "json"
) -> FinancialReport | Response:
    """SPEC §3.6 financial report for a fiscal year or quarter, as JSON or CSV."""
    report = await financial_report(uow, Period.parse(period))
    return _answer(report, format)  # type: ignore[return-value]


@router.get("/reports/providers", response_model=ProviderReport)
async def read_provider_report(
    period: PeriodQuery, uow: UnitOfWorkDep, _caller: CallerDep, format: FormatQuery = "json"
) -> ProviderReport | Response:
    """SPEC §3.6 provider report cards for a fiscal year or quarter, as JSON or CSV."""
    report = await provider_report(uow, Period.parse(period))
    return _answer(report, format)  # type: ignore[return-value]


@router.get("/reports/integrity", response_model=IntegrityReport)
async def read_integrity_report(
    period: PeriodQuery,
    uow: UnitOfWorkDep,
    _caller: CallerDep,
    settings: SettingsDep,
    format: FormatQuery = "json",
) -> IntegrityReport | Response:
    """Program integrity for a fiscal year or quarter, as JSON or CSV (the active
    catalog's daily limits, SPEC §3.4)."""
    catalog: Catalog = active_catalog(settings)
    report = await integrity_report(uow, Period.parse(period), catalog)
    return _answer(report, format)  # type: ignore[return-value]
