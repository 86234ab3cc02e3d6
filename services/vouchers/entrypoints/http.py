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

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from contracts.api.vouchers import (
    CloseVoucher,
    CreateVoucher,
    DischargeClient,
    ExtendVoucher,
    ReportAdmission,
    SelectProvider,
)
from contracts.vouchers import VoucherSnapshot
from services.kit.actor import Actor, current_actor
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError
from services.vouchers.service_layer import relationships, use_cases
from services.vouchers.service_layer.repository import VoucherNotFoundError

voucher_routes = APIRouter(prefix="/vouchers")
relationship_routes = APIRouter(prefix="/relationships")


async def _run(
    request: Request, action: Callable[[UnitOfWork], Awaitable[VoucherSnapshot]], status: int = 200
) -> Any:
    runtime = request.app.state.runtime
    try:
        async with runtime.unit_of_work() as uow:
            voucher = await action(uow)
            await uow.commit()
    except VoucherNotFoundError as exc:
        raise HTTPException(404, "voucher not found") from exc
    except use_cases.ForbiddenError as exc:
        raise HTTPException(403, str(exc)) from exc
    except RuleViolationError as exc:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": ["body", *exc.field.split(".")], "msg": exc.message}]},
        )
    except InvalidTransitionError as exc:
        return JSONResponse(
            status_code=409,
            content={
                "detail": str(exc),
                "current_status": exc.voucher.status,
                "voucher": exc.voucher.model_dump(mode="json"),
            },
        )
    return JSONResponse(status_code=status, content=voucher.model_dump(mode="json"))


@voucher_routes.post("", status_code=201)
async def create(
    body: CreateVoucher, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Create a service voucher (assessor) or a re-entry voucher (doc_thu)."""
    state = request.app.state
    return await _run(
        request,
        lambda uow: use_cases.create_voucher(uow, body, actor, state.catalog(), state.clock),
        status=201,
    )


@voucher_routes.get("/{voucher_id}")
async def read(voucher_id: str, request: Request, actor: Actor = Depends(current_actor)) -> Any:
    """The voucher with its balance (404 for a provider it was not made available to)."""
    return await _run(request, lambda uow: use_cases.get_voucher(uow, voucher_id, actor))


@voucher_routes.post("/{voucher_id}/selection")
async def select(
    voucher_id: str, body: SelectProvider, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Record the client's provider choice."""
    clock = request.app.state.clock
    return await _run(
        request, lambda uow: use_cases.select_provider(uow, voucher_id, body, actor, clock)
    )


@voucher_routes.post("/{voucher_id}/admission")
async def admission(
    voucher_id: str, body: ReportAdmission, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """The selected provider reports admission: the voucher becomes chargeable."""
    clock = request.app.state.clock
    return await _run(request, lambda uow: use_cases.admit(uow, voucher_id, body, actor, clock))


@voucher_routes.post("/{voucher_id}/extension")
async def extension(
    voucher_id: str, body: ExtendVoucher, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Utilisation-review extension of the expiry."""
    clock = request.app.state.clock
    return await _run(request, lambda uow: use_cases.extend(uow, voucher_id, body, actor, clock))


@voucher_routes.post("/{voucher_id}/closure")
async def closure(
    voucher_id: str, body: CloseVoucher, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Early closure (moved out of state or death)."""
    clock = request.app.state.clock
    return await _run(request, lambda uow: use_cases.close(uow, voucher_id, body, actor, clock))


@voucher_routes.post("/{voucher_id}/discharge")
async def discharge(
    voucher_id: str, body: DischargeClient, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Separation from the provider."""
    clock = request.app.state.clock
    return await _run(request, lambda uow: use_cases.discharge(uow, voucher_id, body, actor, clock))


@relationship_routes.get("/{client_id}/{provider_id}")
async def relationship(
    client_id: str, provider_id: str, request: Request, actor: Actor = Depends(current_actor)
) -> Any:
    """Whether ``provider_id`` holds one of the client's vouchers (``active``) or held one
    until recently (``held_until``: the last day of its reporting grace); 404 otherwise.

    A provider caller asks about itself only (anything else is 404 too)."""
    if actor.role == "provider" and actor.provider_id != provider_id:
        raise HTTPException(404, "no relationship")
    runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        found = await relationships.relationship(
            uow,
            client_id,
            provider_id,
            today=request.app.state.clock.today(),
            grace_days=runtime.settings.relationship_grace_days,
        )
    if found is None:
        raise HTTPException(404, "no relationship")
    return {
        "client_id": client_id,
        "provider_id": provider_id,
        "active": found.active,
        "held_until": found.held_until.isoformat() if found.held_until else None,
    }


router = APIRouter()
"""Every internal route of the vouchers service (what ``app`` includes)."""
router.include_router(voucher_routes)
router.include_router(relationship_routes)
