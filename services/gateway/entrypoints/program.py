"""``GET /v1/program`` (SPEC §4 "any token"): the active program's services, rates,
limits, credentials and activities, from the catalog the platform runs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.program import Program
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.service_layer.program import program_view
from services.kit.deps import SettingsDep
from services.kit.program import active_catalog

router = APIRouter(prefix="/v1/program", tags=["program"], responses=ERROR_RESPONSES)


@router.get("", response_model=Program, operation_id="readProgram")
async def read_program(
    settings: SettingsDep, _principal: Principal = Depends(require(*Role))
) -> Program:
    """The active program's vocabulary: each service's code, name, mode, unit, rate and
    rules in words with their seed citations, and the staff credentials and activity
    codes the catalog knows (what ``POST /v1/providers/{id}/staff`` and claim lines
    accept).

    Who: every authenticated role (SPEC §4 "any token"): an EHR, an assessor, DOC THU
    and a state system all need the program's terms, and the catalog holds no PHI and
    nothing about any provider. Not public (401 without a token), as SPEC §4 names only
    the provider directory and health checks as open."""
    return program_view(active_catalog(settings))
