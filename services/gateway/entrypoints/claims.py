"""Claim routes (SPEC §4): provider EHRs post lines; providers and admins read status
and list lines with their decisions.

A provider token acts for its own provider only: a line naming another provider is 403,
another provider's claim reads as 404 (never its data).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from contracts.api.claims import (
    CLAIM_PAGE_LIMIT,
    BatchAccepted,
    ClaimAccepted,
    ClaimPage,
    ClaimStatus,
    LineStatus,
    ReviewUnusualCircumstances,
    UnusualCircumstancesReview,
)
from contracts.api.errors import ERROR_RESPONSES
from contracts.api.payments import Funding
from contracts.claims import CorrectClaim, SubmitClaim, SubmitClaimBatch
from contracts.fields import ID_PATTERN
from services.gateway.domain.tokens import Principal, Role
from services.gateway.entrypoints.auth import require
from services.gateway.entrypoints.params import PathId
from services.gateway.entrypoints.proxy import forward, forward_as, parser_of
from services.gateway.service_layer import claims as intake
from services.gateway.service_layer import frequency
from services.gateway.service_layer.intake import ClaimIntake
from services.kit.clock import SystemClock
from services.kit.deps import SettingsDep, UnitsOfWorkDep
from services.kit.http import problem
from services.kit.program import active_catalog
from services.kit.settings import Settings

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=ERROR_RESPONSES)


def program_today(settings: Settings) -> date:
    """Today on the program clock (as the claim engine reads it for ``FUTURE_DATE``)."""
    return SystemClock(settings.clock_offset_days).today()


def _check_against_catalog(settings: Settings, lines: list[SubmitClaim], *, batch: bool) -> None:
    """422 naming each line whose service date is outside the program's window, and each
    whose ``procedure_code`` is not the catalog's HCPCS code for its service."""
    catalog = active_catalog(settings)
    errors = intake.service_date_errors(lines, catalog, program_today(settings), batch=batch)
    errors += intake.procedure_code_errors(lines, catalog, batch=batch)
    if errors:
        raise RequestValidationError(errors)


def check_binding(principal: Principal, lines: list[SubmitClaim]) -> None:
    """403 naming the first line whose ``provider_id`` is not the token's provider (a
    provider token acts for its own provider only)."""
    for index, line in enumerate(lines):
        if line.provider_id != principal.provider_id:
            where = f"claims[{index}].provider_id" if len(lines) > 1 else "provider_id"
            raise HTTPException(403, f"{where}: this token acts for another provider")


def claim_intake(request: Request, units: UnitsOfWorkDep) -> ClaimIntake:
    """The gateway process's intake loop (group commit), made on first use."""
    state = request.app.state
    if getattr(state, "claim_intake", None) is None:
        state.claim_intake = ClaimIntake(units)
    found: ClaimIntake = state.claim_intake
    return found


async def accept_lines(
    request: Request,
    units: UnitsOfWorkDep,
    principal: Principal,
    lines: list[SubmitClaim],
    filed_on: date,
    *,
    batch: bool = False,
) -> list[ClaimAccepted] | Response:
    """Accept the request's lines in the next group commit, filed on ``filed_on`` (the
    program date), each line's claim frequency applied first
    (:mod:`~services.gateway.service_layer.frequency`): 422 naming
    ``replaces_claim_ref`` for an earlier claim its provider never submitted, 409 while
    the earlier claim is not decided, 409 for a reused claim_ref."""
    try:
        answers = await frequency.take_lines(
            lines,
            earlier_claim_lookup(units),
            earlier_claim_voider(request, principal),
            lambda new: claim_intake(request, units).accept(new, datetime.now(UTC), filed_on),
            batch=batch,
            vet=conflict_check(units),
        )
    except frequency.UnknownEarlierClaimError as exc:
        raise RequestValidationError(exc.errors) from None
    except frequency.EarlierClaimPendingError as exc:
        return problem(409, str(exc), claim_id=exc.claim_id)
    except VoidFailedError as exc:
        return exc.response
    except intake.ClaimRefConflictError as exc:
        return problem(409, str(exc), claim_ref=exc.claim_ref, claim_id=exc.claim_id)
    return [line_answer(answer) for answer in answers]


VOID_REASON = "voided by a replacement or void claim"
"""The reason recorded on the correction that voids an earlier claim by frequency."""


class VoidFailedError(frequency.VoidRefusedError):
    """The claims service refused to void an earlier claim for another reason than its
    being undecided: its answer is relayed."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"the claims service answered {response.status_code}")
        self.response = response


def earlier_claim_lookup(units: UnitsOfWorkDep) -> frequency.LookUp:
    """Finds earlier claims by ``claim_ref`` among the gateway's idempotency keys."""

    async def look_up(provider_id: str, refs: Sequence[str]) -> dict[str, str]:
        async with units() as uow:  # closed before the claims service is asked
            return await intake.find_claim_ids(uow, provider_id, refs)

    return look_up


def conflict_check(units: UnitsOfWorkDep) -> frequency.VetLines:
    """Refuses, before an earlier claim is voided, new lines whose ``claim_ref`` was used
    for another line (the 409 their acceptance would give)."""

    async def vet(lines: list[SubmitClaim]) -> None:
        async with units() as uow:
            await intake.check_conflicts(uow, lines)

    return vet


def earlier_claim_voider(request: Request, principal: Principal) -> frequency.VoidClaim:
    """Voids an earlier claim through the correction path (``units: 0`` to the claims
    service's ``/claims/{id}/corrections``, as ``POST /v1/claims/{id}/corrections``
    does); not decided yet → :class:`~frequency.EarlierClaimPendingError`."""

    async def void(claim_id: str) -> None:
        answer = await forward_as(
            request,
            ClaimStatus,
            "claims",
            f"/claims/{claim_id}/corrections",
            principal=principal,
            json_body=CorrectClaim(units=0, reason=VOID_REASON).model_dump(mode="json"),
        )
        if not isinstance(answer, Response):
            return
        if answer.status_code in (404, 409):  # not stored by claims yet, or pending
            raise frequency.EarlierClaimPendingError(claim_id)
        raise VoidFailedError(answer)

    return void


def line_answer(answer: intake.Accepted) -> ClaimAccepted:
    """The API answer of one accepted (or voiding) line."""
    return ClaimAccepted(
        claim_ref=answer.claim_ref,
        claim_id=answer.claim_id,
        duplicate=answer.duplicate,
        status="voided" if answer.status == "voided" else "received",
        voided_claim_id=answer.voided_claim_id,
    )


@router.post("", status_code=202, response_model=ClaimAccepted, operation_id="submitClaim")
async def submit_claim(
    body: SubmitClaim,
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> ClaimAccepted | Response:
    """Accept one claim line (202 with its claim id); the same body again is a duplicate.

    422 if ``service_date`` is before the program's first day or more than 366 days
    ahead (a later date within that is accepted and denied ``FUTURE_DATE``), or if
    ``procedure_code`` is not the catalog's HCPCS code for ``service_code``; 409 with
    the stored ``claim_id`` if the ``claim_ref`` was used for a different line.

    A ``replacement`` or ``void`` (``frequency``) first voids the provider's earlier
    claim ``replaces_claim_ref`` through the correction path (0 units); a void then
    answers with that claim (``status: voided``), a replacement is accepted as a new
    claim. 422 naming ``replaces_claim_ref`` when no claim of the provider has it, 409
    while that claim is not decided."""
    _check_against_catalog(settings, [body], batch=False)
    check_binding(principal, [body])
    answers = await accept_lines(request, units, principal, [body], program_today(settings))
    return answers if isinstance(answers, Response) else answers[0]


@router.post(
    "/batch", status_code=202, response_model=BatchAccepted, operation_id="submitClaimBatch"
)
async def submit_batch(
    body: SubmitClaimBatch,
    request: Request,
    settings: SettingsDep,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER)),
) -> BatchAccepted | Response:
    """Accept up to 1,000 lines at once, all or none (409 if any ref conflicts; 422
    naming ``claims[i].service_date`` for each line dated outside the window and
    ``claims[i].procedure_code`` for each code that is not its service's HCPCS code).

    Each line may be a ``replacement`` or ``void`` of an earlier claim, as on
    ``POST /v1/claims``: every earlier claim is looked up first (422 naming
    ``claims[i].replaces_claim_ref``, nothing done), voided, then the new lines are
    accepted all or none; ``voided`` counts the void lines."""
    _check_against_catalog(settings, body.claims, batch=True)
    check_binding(principal, body.claims)
    answers = await accept_lines(
        request, units, principal, body.claims, program_today(settings), batch=True
    )
    if isinstance(answers, Response):
        return answers
    duplicates = sum(1 for a in answers if a.duplicate)
    voided = sum(1 for a in answers if a.status == "voided")
    return BatchAccepted(
        claims=answers,
        accepted=len(answers) - duplicates - voided,
        duplicates=duplicates,
        voided=voided,
    )


@router.get("", response_model=ClaimPage, operation_id="listClaims")
async def list_claims(
    request: Request,
    updated_since: Annotated[
        datetime | None,
        Query(description="Only lines written at or after this time (UTC if no offset)."),
    ] = None,
    status: LineStatus | None = None,
    provider_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)
    ] = None,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=CLAIM_PAGE_LIMIT)] = 50,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> ClaimPage | Response:
    """The claims list (SPEC §4 ``GET /v1/claims?updated_since=&status=``): lines and
    their decisions, each as ``GET /v1/claims/{id}`` shows it, page by page.

    Order: by the transaction that last wrote each line (stored, decided, corrected),
    then claim id; a line written again is listed again, as it now is, further on. A
    page never lists a line that a transaction still running could precede, so
    following ``next_cursor`` (with the same filters) skips nothing, even while lines
    are being written. ``next_cursor`` is given on the last page too: an EHR keeps it
    and polls with it for what changed since. Lines accepted (202) but not yet stored
    by the claims service appear once it has stored them (status ``pending`` or the
    decision).

    Who: a provider token lists its own provider's lines (``provider_id`` may only
    name its own: another is 403); admin lists every provider's, or one's with
    ``provider_id``. ``state_system`` is refused (403): SPEC §4 gives this route to
    provider and admin only, and claim lines carry client ids, where state systems
    read the aggregate reports (§3.6). 422 naming ``cursor`` for a cursor this API
    did not issue or issued with other filters, ``status`` or ``updated_since`` for
    a value that is not one."""
    if principal.role is Role.PROVIDER and provider_id not in (None, principal.provider_id):
        raise HTTPException(403, "provider_id: this token reads its own provider's claims")
    page = await forward_as(
        request,
        ClaimPage,
        "claims",
        "/claims",
        principal=principal,
        params={
            "updated_since": updated_since.isoformat() if updated_since else None,
            "status": status,
            "provider_id": provider_id,
            "cursor": cursor,
            "limit": limit,
        },
    )
    if isinstance(page, Response):
        return page
    return await _with_fundings(request, principal, page)


@router.get("/{claim_id}", response_model=ClaimStatus, operation_id="readClaim")
async def claim_status(
    claim_id: PathId,
    request: Request,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> ClaimStatus | Response:
    """Status (received / pending / approved / partially_approved / denied) and amounts."""
    async with units() as uow:  # closed before the claims service is asked
        found = await intake.find_claim(uow, claim_id)
    if found is None or (principal.role is Role.PROVIDER and found[0] != principal.provider_id):
        raise HTTPException(404, "claim not found")
    answer = await forward(request, "claims", f"/claims/{claim_id}", principal=principal)
    if answer.status_code == 404:
        return ClaimStatus(claim_id=claim_id, claim_ref=found[1], status="received")
    if answer.status_code != 200:
        return answer
    status = ClaimStatus.model_validate_json(bytes(answer.body))
    if not status.allowed_amount:
        return status
    funding = await forward(
        request, "payments", f"/fundings/{claim_id}", principal=principal, method="GET"
    )
    if funding.status_code != 200:
        return status  # not decided yet (or payments is unreachable): no funding shown
    return _funded(status, Funding.model_validate_json(bytes(funding.body)))


def _funded(status: ClaimStatus, funding: Funding | None) -> ClaimStatus:
    """The claim view with payments' funding decision on it (unchanged without one)."""
    if funding is None:
        return status
    return status.model_copy(
        update={"funding": funding, "funding_status": "funded" if funding.funded else "unfunded"}
    )


async def _with_fundings(request: Request, principal: Principal, page: ClaimPage) -> ClaimPage:
    """The page with each allowed line's funding, asked of payments in one call (shown
    without it when payments has not decided it, or cannot be reached)."""
    allowed = [item.claim_id for item in page.items if item.allowed_amount]
    if not allowed:
        return page
    answer = await forward(
        request,
        "payments",
        "/fundings",
        principal=principal,
        params={"claim_id": allowed},
        method="GET",
    )
    if answer.status_code != 200:
        return page
    fundings = parser_of(dict[str, Funding]).validate_json(bytes(answer.body))
    items = [_funded(item, fundings.get(item.claim_id)) for item in page.items]
    return page.model_copy(update={"items": items})


@router.post(
    "/reviews",
    status_code=201,
    response_model=UnusualCircumstancesReview,
    operation_id="reviewUnusualCircumstances",
)
async def review_unusual_circumstances(
    body: ReviewUnusualCircumstances,
    request: Request,
    principal: Principal = Depends(require(Role.ADMIN)),
) -> UnusualCircumstancesReview | Response:
    """Record the administrative agency's review and approval of unusual circumstances
    documented in a client's record for one service on one date (seed 004 (A)2 "Unless
    there are unusual circumstances that are documented in the client record, CSWs
    should bill no more than one unit of Community Support Work per client per
    meeting"): a line of that client, service and date decided afterwards is not cut by
    the service's reviewable limits (the per-meeting cap). Admin only."""
    return await forward_as(
        request,
        UnusualCircumstancesReview,
        "claims",
        "/claims/reviews",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )


@router.post(
    "/{claim_id}/corrections",
    response_model=ClaimStatus,
    operation_id="correctClaim",
)
async def correct_claim(
    claim_id: PathId,
    body: CorrectClaim,
    request: Request,
    units: UnitsOfWorkDep,
    principal: Principal = Depends(require(Role.PROVIDER, Role.ADMIN)),
) -> ClaimStatus | Response:
    """Reduce a decided line to the units actually delivered, or void it with 0 (its
    provider, or the administrative agency). The line's status and amounts change; the
    voucher gets the units back and payments reverses the funding, as an adjustment on
    the next invoice when the line was invoiced (SPEC §3.5). 422 naming ``units`` when
    the correction would add units, 409 while the line is not decided."""
    async with units() as uow:  # closed before the claims service is asked
        found = await intake.find_claim(uow, claim_id)
    if found is None or (principal.role is Role.PROVIDER and found[0] != principal.provider_id):
        raise HTTPException(404, "claim not found")
    answer = await forward_as(
        request,
        ClaimStatus,
        "claims",
        f"/claims/{claim_id}/corrections",
        principal=principal,
        json_body=body.model_dump(mode="json"),
    )
    if isinstance(answer, Response) and answer.status_code == 404:
        return problem(409, "the line is not decided yet; correct it once it is")
    return answer
