"""Token administration routes (admin): grant and revoke bearer tokens (SPEC §4, §5)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.tokens import CreateToken, TokenCreated
from services.gateway.adapters.token_store import create_token, revoke_token
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], responses=ERROR_RESPONSES)


@router.post("", status_code=201)
async def grant_token(
    body: CreateToken, request: Request, _admin: Principal = Depends(require(Role.ADMIN))
) -> TokenCreated:
    """Create a token for a role; the token value is in this response only (stored hashed)."""
    runtime = request.app.state.runtime
    role = Role(body.role)
    try:
        async with runtime.unit_of_work() as uow:
            token_id, token = await create_token(
                uow.session,
                runtime.settings.secret_key,
                role,
                provider_id=body.provider_id,
                organisation_id=body.organisation_id,
                label=body.label,
            )
            await uow.commit()
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return TokenCreated(
        token_id=token_id, token=token, role=role.value, provider_id=body.provider_id
    )


@router.delete("/{token_id}", status_code=204)
async def revoke(
    token_id: PathId, request: Request, _admin: Principal = Depends(require(Role.ADMIN))
) -> Response:
    """Revoke a token at once; 404 when it is unknown or already revoked."""
    runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        revoked = await revoke_token(uow.session, token_id)
        await uow.commit()
    if not revoked:
        raise HTTPException(404, "no active token with this id")
    return Response(status_code=204)
