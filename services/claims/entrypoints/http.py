"""The claims service's internal HTTP API (SPEC §4 ``/v1/claims``): the claims list,
a claim's status and corrections of decided lines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import select

from contracts.api.claims import (
    CLAIM_PAGE_LIMIT,
    ClaimPage,
    ClaimStatus,
    LineStatus,
    ReviewUnusualCircumstances,
    UnusualCircumstancesReview,
)
from contracts.claims import CorrectClaim
from contracts.fields import ID_PATTERN
from services.claims.adapters.claim_lines import claim_view
from services.claims.adapters.orm import claims
from services.claims.domain.claim_feed import BadCursorError, FeedFilter
from services.claims.domain.correction import CorrectionRefusedError, NotDecidedError
from services.claims.service_layer import claim_list
from services.claims.service_layer.corrections import ClaimNotFoundError, correct_claim
from services.claims.service_layer.replicas import record_review
from services.kit.deps import CallerDep, ReadSessionDep, UnitOfWorkDep
from services.kit.http import problem, validation_problem

router = APIRouter(prefix="/claims")


@router.get("", response_model=ClaimPage, operation_id="listClaims")
async def list_claims(
    session: ReadSessionDep,
    actor: CallerDep,
    provider_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)
    ] = None,
    status: LineStatus | None = None,
    updated_since: datetime | None = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=CLAIM_PAGE_LIMIT)] = 50,
) -> ClaimPage | Response:
    """One page of the claims list (its provider's lines for a provider, any
    provider's for admin; 403 otherwise), 422 naming ``cursor`` for a cursor that is
    malformed or was issued with other filters."""
    try:
        scope = claim_list.scope_of(actor, provider_id)
    except claim_list.ListRefusedError as exc:
        raise HTTPException(403, str(exc)) from None
    if updated_since is not None and updated_since.tzinfo is None:
        updated_since = updated_since.replace(tzinfo=UTC)
    feed_filter = FeedFilter(provider_id=scope, status=status, updated_since=updated_since)
    try:
        return await claim_list.list_claims(session, feed_filter, cursor, limit)
    except BadCursorError as exc:
        return validation_problem(
            [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}]
        )


@router.post(
    "/reviews",
    status_code=201,
    response_model=UnusualCircumstancesReview,
    operation_id="reviewUnusualCircumstances",
)
async def review_unusual_circumstances(
    body: ReviewUnusualCircumstances, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> UnusualCircumstancesReview:
    """Record the administrative agency's review of unusual circumstances documented in
    the client record for one service and date (seed 004 (A)2 "Unless there are unusual
    circumstances that are documented in the client record, CSWs should bill no more
    than one unit ... per meeting"): lines decided afterwards pass the service's
    reviewable limits. Admin only (403 otherwise)."""
    if actor.role != "admin":
        raise HTTPException(403, "only the administrative agency reviews unusual circumstances")
    review = UnusualCircumstancesReview(
        **body.model_dump(),
        reviewed_by=actor.token_id,
        recorded_at=request.app.state.clock.now(),
    )
    await record_review(uow, review.model_dump(mode="json"))
    await uow.commit()
    return review


@router.get("/{claim_id}", response_model=ClaimStatus, operation_id="readClaim")
async def claim_status(claim_id: str, uow: UnitOfWorkDep, actor: CallerDep) -> ClaimStatus:
    """Status, allowed/denied units and amounts and reasons; 404 for another provider."""
    query = select(claims).where(claims.c.claim_id == claim_id)
    row = (await uow.session.execute(query)).first()
    if row is None or (actor.role == "provider" and row.provider_id != actor.provider_id):
        raise HTTPException(404, "claim not found")
    return claim_view(row)


@router.post("/{claim_id}/corrections", response_model=ClaimStatus, operation_id="correctClaim")
async def correct(
    claim_id: str, body: CorrectClaim, request: Request, uow: UnitOfWorkDep, actor: CallerDep
) -> ClaimStatus | Response:
    """Reduce or void a decided line (its provider or the administrative agency):
    404 for another provider's line, 409 while pending, 422 naming ``units`` when the
    correction would add units; the corrected line's status otherwise."""
    if actor.role not in {"provider", "admin"}:
        raise HTTPException(403, "only the line's provider or the administrative agency")
    try:
        await correct_claim(uow, claim_id, body, actor, request.app.state.clock.now())
    except ClaimNotFoundError:
        raise HTTPException(404, "claim not found") from None
    except NotDecidedError as exc:
        return problem(409, str(exc))
    except CorrectionRefusedError as exc:
        return validation_problem(
            [{"loc": ["body", "units"], "msg": str(exc), "type": "value_error"}]
        )
    await uow.commit()
    async with request.app.state.runtime.db.read_sessions() as session:
        row = (await session.execute(select(claims).where(claims.c.claim_id == claim_id))).one()
    return claim_view(row)
