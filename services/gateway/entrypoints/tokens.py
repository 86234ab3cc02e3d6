"""Token administration routes (admin): grant and revoke bearer tokens (SPEC §4, §5)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.exceptions import RequestValidationError

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.tokens import CreateToken, TokenCreated
from services.gateway.adapters.token_store import create_token, revoke_token
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.kit.deps import SettingsDep, UnitOfWorkDep

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, operation_id="createToken")
async def grant_token(
    body: CreateToken,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    _admin: Principal = Depends(require(Role.ADMIN)),
) -> TokenCreated:
    """Create a token for a role; the token value is in this response only (stored hashed)."""
    role = Role(body.role)
    try:
        token_id, token = await create_token(
            uow.session,
            settings.secret_key,
            role,
            provider_id=body.provider_id,
            organisation_id=body.organisation_id,
            label=body.label,
        )
    except ValueError as exc:
        field = {"loc": ["body", "provider_id"], "msg": str(exc), "type": "value_error"}
        raise RequestValidationError([field]) from exc
    await uow.commit()
    return TokenCreated(
        token_id=token_id, token=token, role=role.value, provider_id=body.provider_id
    )


@router.delete("/{token_id}", status_code=204, operation_id="revokeToken")
async def revoke(
    token_id: PathId, uow: UnitOfWorkDep, _admin: Principal = Depends(require(Role.ADMIN))
) -> Response:
    """Revoke a token at once; 404 when it is unknown or already revoked."""
    revoked = await revoke_token(uow.session, token_id)
    await uow.commit()
    if not revoked:
        raise HTTPException(404, "no active token with this id")
    return Response(status_code=204)
