"""Token administration routes (admin): grant, list and revoke bearer tokens (SPEC §4, §5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from contracts.api.errors import ERROR_RESPONSES
from contracts.api.tokens import CreateToken, TokenCreated, TokenList, TokenSummary
from services.gateway.adapters.token_store import create_token, list_tokens, revoke_token
from services.gateway.domain.tokens import (
    Principal,
    Role,
    TokenRecord,
    parse_scopes,
    validate_binding,
    validate_expiry,
)
from services.gateway.entrypoints.auth import principal_cache_of, require
from services.gateway.entrypoints.params import PathId
from services.kit.deps import SettingsDep, UnitOfWorkDep

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, operation_id="createToken", response_model=TokenCreated)
async def grant_token(
    body: CreateToken,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    _admin: Principal = Depends(require(Role.ADMIN)),
) -> TokenCreated:
    """Create a token for a role, optionally scoped and expiring; the token value is in
    this response only (stored hashed)."""
    role = Role(body.role)
    _check(lambda: validate_binding(role, body.provider_id), "provider_id")
    _check(lambda: validate_expiry(body.expires_at, datetime.now(UTC)), "expires_at")
    scopes = parse_scopes(body.scopes)
    token_id, token = await create_token(
        uow.session,
        settings.secret_key,
        role,
        provider_id=body.provider_id,
        organisation_id=body.organisation_id,
        label=body.label,
        scopes=scopes,
        expires_at=body.expires_at,
    )
    await uow.commit()
    return TokenCreated(
        token_id=token_id,
        token=token,
        role=role.value,
        provider_id=body.provider_id,
        scopes=sorted(scopes) if scopes else None,
        expires_at=body.expires_at,
    )


@router.get("", operation_id="listTokens", response_model=TokenList)
async def list_all(
    uow: UnitOfWorkDep,
    include_inactive: Annotated[
        bool, Query(description="Also list revoked and expired tokens.")
    ] = False,
    _admin: Principal = Depends(require(Role.ADMIN)),
) -> TokenList:
    """The platform's opaque tokens (role, binding, scopes, expiry), never their values;
    active ones unless ``include_inactive``. JWT access tokens are the issuer's to list."""
    records = await list_tokens(uow.session, include_inactive=include_inactive)
    now = datetime.now(UTC)
    return TokenList(tokens=[_summary(record, now) for record in records])


@router.delete("/{token_id}", status_code=204, operation_id="revokeToken")
async def revoke(
    token_id: PathId,
    request: Request,
    uow: UnitOfWorkDep,
    _admin: Principal = Depends(require(Role.ADMIN)),
) -> Response:
    """Revoke a token at once (this gateway process forgets it now; other replicas
    within ``ATR_AUTH_CACHE_S``); 404 when it is unknown or already revoked."""
    revoked = await revoke_token(uow.session, token_id)
    await uow.commit()
    principal_cache_of(request).forget(token_id)
    if not revoked:
        raise HTTPException(404, "no active token with this id")
    return Response(status_code=204)


def _check(validate: Callable[[], None], field: str) -> None:
    """Run ``validate``; its ValueError becomes a 422 naming ``field``."""
    try:
        validate()
    except ValueError as exc:
        error = {"loc": ["body", field], "msg": str(exc), "type": "value_error"}
        raise RequestValidationError([error]) from exc


def _summary(record: TokenRecord, now: datetime) -> TokenSummary:
    return TokenSummary(
        token_id=record.token_id,
        role=record.role.value,
        provider_id=record.provider_id,
        organisation_id=record.organisation_id,
        label=record.label,
        scopes=sorted(record.scopes) if record.scopes else None,
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        state=record.state(now),
    )
