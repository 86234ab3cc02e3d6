"""The vouchers service's internal HTTP API (called by the gateway; SPEC §4 /v1/vouchers).

Refusals map to HTTP as SPEC §4 asks: an invalid transition is 409 with the voucher's
current state, a broken program rule 422 naming the field, a voucher the caller may
not see 404, a role that may not act 403.

``/relationships`` answers the gateway whether a provider may act for a client (it
holds, or held within the grace, one of the client's vouchers; else 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from contracts.api.vouchers import (
    CloseVoucher,
    CreateVoucher,
    DischargeClient,
    ExtendVoucher,
    Relationship,
    ReportAdmission,
    SelectProvider,
)
from contracts.vouchers import VoucherSnapshot
from services.kit.deps import CallerDep, UnitOfWorkDep
from services.kit.http import problem, validation_problem
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError
from services.vouchers.service_layer import relationships, use_cases
from services.vouchers.service_layer.repository import VoucherNotFoundError
from services.vouchers.settings import VouchersSettingsDep

voucher_routes = APIRouter(prefix="/vouchers")
relationship_routes = APIRouter(prefix="/relationships")


async def _decide(
    uow: UnitOfWork, action: Callable[[UnitOfWork], Awaitable[VoucherSnapshot]]
) -> VoucherSnapshot | Response:
    """Run ``action`` and commit; a refusal as problem details (409 with the voucher's
    current state, 422 naming the field of the rule it breaks)."""
    try:
        voucher = await action(uow)
    except VoucherNotFoundError as exc:
        raise HTTPException(404, "voucher not found") from exc
    except use_cases.ForbiddenError as exc:
        raise HTTPException(403, str(exc)) from exc
    except RuleViolationError as exc:
        where = ["body", *exc.field.split(".")]
        return validation_problem([{"loc": where, "msg": exc.message, "type": "rule_violation"}])
    except InvalidTransitionError as exc:
        return problem(
            409,
            str(exc),
            current_status=exc.voucher.status,
            voucher=exc.voucher.model_dump(mode="json"),
        )
    await uow.commit()
    return voucher


def _clock(request: Request) -> Any:
    return request.app.state.clock


@voucher_routes.post(
    "", status_code=201, response_model=VoucherSnapshot, operation_id="createVoucher"
)
async def create(
    body: CreateVoucher, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """Create a service voucher (assessor) or a re-entry voucher (doc_thu)."""
    catalog = request.app.state.catalog()
    return await _decide(
        uow,
        lambda uow: use_cases.create_voucher(uow, body, actor, catalog, _clock(request)),
    )


@voucher_routes.get("/{voucher_id}", response_model=VoucherSnapshot, operation_id="readVoucher")
async def read(
    voucher_id: str, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """The voucher with its balance (404 for a provider it was not made available to)."""
    return await _decide(uow, lambda uow: use_cases.get_voucher(uow, voucher_id, actor))


@voucher_routes.post(
    "/{voucher_id}/selection", response_model=VoucherSnapshot, operation_id="selectProvider"
)
async def select(
    voucher_id: str, body: SelectProvider, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """Record the client's provider choice."""
    clock = _clock(request)
    return await _decide(
        uow, lambda uow: use_cases.select_provider(uow, voucher_id, body, actor, clock)
    )


@voucher_routes.post(
    "/{voucher_id}/admission", response_model=VoucherSnapshot, operation_id="reportAdmission"
)
async def admission(
    voucher_id: str, body: ReportAdmission, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """The selected provider reports admission: the voucher becomes chargeable."""
    clock = _clock(request)
    return await _decide(uow, lambda uow: use_cases.admit(uow, voucher_id, body, actor, clock))


@voucher_routes.post(
    "/{voucher_id}/extension", response_model=VoucherSnapshot, operation_id="extendVoucher"
)
async def extension(
    voucher_id: str, body: ExtendVoucher, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """Utilisation-review extension of the expiry."""
    clock = _clock(request)
    return await _decide(uow, lambda uow: use_cases.extend(uow, voucher_id, body, actor, clock))


@voucher_routes.post(
    "/{voucher_id}/closure", response_model=VoucherSnapshot, operation_id="closeVoucher"
)
async def closure(
    voucher_id: str, body: CloseVoucher, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """Early closure (moved out of state or death)."""
    clock = _clock(request)
    return await _decide(uow, lambda uow: use_cases.close(uow, voucher_id, body, actor, clock))


@voucher_routes.post(
    "/{voucher_id}/discharge", response_model=VoucherSnapshot, operation_id="dischargeClient"
)
async def discharge(
    voucher_id: str, body: DischargeClient, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> VoucherSnapshot | Response:
    """Separation from the provider."""
    clock = _clock(request)
    return await _decide(uow, lambda uow: use_cases.discharge(uow, voucher_id, body, actor, clock))


@relationship_routes.get(
    "/{client_id}/{provider_id}", response_model=Relationship, operation_id="readRelationship"
)
async def relationship(
    client_id: str,
    provider_id: str,
    request: Request,
    uow: UnitOfWorkDep,
    settings: VouchersSettingsDep,
    actor: CallerDep,
) -> Relationship:
    """Whether ``provider_id`` holds one of the client's vouchers (``active``) or held one
    until recently (``held_until``: the last day of its reporting grace); 404 otherwise.

    A provider caller asks about itself only (anything else is 404 too)."""
    if actor.role == "provider" and actor.provider_id != provider_id:
        raise HTTPException(404, "no relationship")
    found = await relationships.relationship(
        uow,
        client_id,
        provider_id,
        today=_clock(request).today(),
        grace_days=settings.relationship_grace_days,
    )
    if found is None:
        raise HTTPException(404, "no relationship")
    return Relationship(
        client_id=client_id,
        provider_id=provider_id,
        active=found.active,
        held_until=found.held_until,
    )


router = APIRouter()
"""Every internal route of the vouchers service (what ``app`` includes)."""
router.include_router(voucher_routes)
router.include_router(relationship_routes)
