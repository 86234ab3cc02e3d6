"""Voucher routes (SPEC §4): the gateway checks roles and bodies, vouchers decides.

A provider token reaches only vouchers whose packet was made available to its provider;
any other voucher answers 404, never its data (the vouchers service enforces it from
the forwarded provider binding).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.vouchers import (
    CloseVoucher,
    CreateVoucher,
    DischargeClient,
    ExtendVoucher,
    ReportAdmission,
    SelectProvider,
)
from contracts.vouchers import VoucherSnapshot
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward_as

router = APIRouter(prefix="/v1/vouchers", tags=["vouchers"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=VoucherSnapshot, operation_id="createVoucher")
async def create_voucher(
    body: CreateVoucher,
    request: Request,
    principal: Principal = Depends(require(Role.ASSESSOR, Role.DOC_THU)),
) -> VoucherSnapshot | Response:
    """Create a service voucher (assessor) or a re-entry voucher (doc_thu, ≤14 days to release)."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        "/vouchers",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.get("/{voucher_id}", response_model=VoucherSnapshot, operation_id="readVoucher")
async def read_voucher(
    voucher_id: PathId,
    request: Request,
    principal: Principal = Depends(require(Role.ASSESSOR, Role.PROVIDER, Role.ADMIN)),
) -> VoucherSnapshot | Response:
    """The voucher with its balance: authorised, used and remaining units and value."""
    return await forward_as(
        request, VoucherSnapshot, "vouchers", f"/vouchers/{voucher_id}", principal=principal
    )


@router.post(
    "/{voucher_id}/selection", response_model=VoucherSnapshot, operation_id="selectProvider"
)
async def select_provider(
    voucher_id: PathId,
    body: SelectProvider,
    request: Request,
    principal: Principal = Depends(require(Role.ASSESSOR)),
) -> VoucherSnapshot | Response:
    """Record the client's provider choice (self-referrals are flagged). It must be on the
    latest choice list offered to the client for each of the voucher's services (``POST
    /v1/clients/{id}/choice-lists``) unless that offer recorded a choice exception: 422
    naming ``provider_id`` otherwise; 409 (retry) while no list has been offered or its
    event has not reached the vouchers service (seed 003 App. E §4(2))."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        f"/vouchers/{voucher_id}/selection",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.post(
    "/{voucher_id}/admission", response_model=VoucherSnapshot, operation_id="reportAdmission"
)
async def report_admission(
    voucher_id: PathId,
    body: ReportAdmission,
    request: Request,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> VoucherSnapshot | Response:
    """The selected provider reports the admission; the voucher becomes chargeable."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        f"/vouchers/{voucher_id}/admission",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.post(
    "/{voucher_id}/extension", response_model=VoucherSnapshot, operation_id="extendVoucher"
)
async def extend_voucher(
    voucher_id: PathId,
    body: ExtendVoucher,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> VoucherSnapshot | Response:
    """Utilisation-review extension (who, why, new expiry)."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        f"/vouchers/{voucher_id}/extension",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.post("/{voucher_id}/closure", response_model=VoucherSnapshot, operation_id="closeVoucher")
async def close_voucher(
    voucher_id: PathId,
    body: CloseVoucher,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> VoucherSnapshot | Response:
    """Early closure: moved out of state or death (anything else is 422)."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        f"/vouchers/{voucher_id}/closure",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.post(
    "/{voucher_id}/discharge", response_model=VoucherSnapshot, operation_id="dischargeClient"
)
async def discharge_client(
    voucher_id: PathId,
    body: DischargeClient,
    request: Request,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> VoucherSnapshot | Response:
    """Separation from the provider (the provider itself or the program office)."""
    return await forward_as(
        request,
        VoucherSnapshot,
        "vouchers",
        f"/vouchers/{voucher_id}/discharge",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )
