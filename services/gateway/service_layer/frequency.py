"""Claim frequency at intake: replacement and void of an earlier claim, by ``claim_ref``.

A line's ``frequency`` (:class:`~contracts.claims.ClaimFrequency`, X12 ``CLM05-3``)
builds on the correction path, not beside it: the earlier claim, found by the line's
``provider_id`` and ``replaces_claim_ref`` among the gateway's idempotency keys, is
corrected to 0 units exactly as ``POST /v1/claims/{id}/corrections`` with ``units: 0``
does (claims publishes ``ClaimCorrected``, vouchers give the units back, payments
reverses the funding, as an adjustment on the next invoice when the line was invoiced;
SPEC §3.5 "money is never silently changed after the fact"). A ``void`` line submits
nothing more; a ``replacement`` line is then accepted as a new claim under its own
``claim_ref`` (idempotent on it like any line).

Order: every earlier claim is looked up first (an unknown one refuses the request,
nothing done), then voided, then the new lines accepted. A repeated void or
replacement is harmless: a correction to 0 repeated changes nothing and the new line is
a duplicate of itself. An earlier claim not decided yet cannot be voided (409, as a
correction of it is); nothing of the request is accepted then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from contracts.claims import ClaimFrequency, SubmitClaim
from services.gateway.service_layer.claims import Accepted

LookUp = Callable[[str, Sequence[str]], Awaitable[dict[str, str]]]
"""(provider_id, claim_refs) → ``claim_ref`` → claim id of those the gateway accepted."""

VoidClaim = Callable[[str], Awaitable[None]]
"""Corrects the claim with this id to 0 units (raises :class:`EarlierClaimPendingError`
while it is not decided)."""

AcceptLines = Callable[[list[SubmitClaim]], Awaitable[list[Accepted]]]
"""Accepts new lines in the gateway's intake (all or none)."""

VetLines = Callable[[list[SubmitClaim]], Awaitable[None]]
"""Raises what accepting these new lines would raise (a ``claim_ref`` conflict), before
any earlier claim is voided."""


class UnknownEarlierClaimError(Exception):
    """A replacement or void names a ``claim_ref`` its provider never submitted (422)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors))
        self.errors = errors


class EarlierClaimPendingError(Exception):
    """The earlier claim is not decided yet, so it cannot be voided (409)."""

    def __init__(self, claim_id: str) -> None:
        super().__init__(
            f"the earlier claim {claim_id} is not decided yet; replace or void it once it is"
        )
        self.claim_id = claim_id


class VoidRefusedError(Exception):
    """The earlier claim could not be voided for another reason than its being
    undecided (the claims service refused the correction or could not be reached)."""


def acts_on_earlier(line: SubmitClaim) -> bool:
    """Whether the line replaces or voids an earlier claim."""
    return line.frequency is not ClaimFrequency.ORIGINAL


async def earlier_claims(
    lines: Sequence[SubmitClaim], look_up: LookUp, *, batch: bool
) -> dict[int, str]:
    """Index of each replacement or void line → the id of the earlier claim it names.

    Raises :class:`UnknownEarlierClaimError` with one error (FastAPI's shape) per line
    whose ``replaces_claim_ref`` its provider never submitted, at
    ``["body", "replaces_claim_ref"]`` (``["body", "claims", i, ...]`` in a batch)."""
    wanted: dict[str, list[str]] = {}
    for line in lines:
        if acts_on_earlier(line) and line.replaces_claim_ref is not None:
            wanted.setdefault(line.provider_id, []).append(line.replaces_claim_ref)
    found = {provider: await look_up(provider, refs) for provider, refs in wanted.items()}
    earlier: dict[int, str] = {}
    errors: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        if not acts_on_earlier(line) or line.replaces_claim_ref is None:
            continue
        claim_id = found.get(line.provider_id, {}).get(line.replaces_claim_ref)
        if claim_id is not None:
            earlier[index] = claim_id
            continue
        where: tuple[str | int, ...] = ("body", "claims", index) if batch else ("body",)
        errors.append(
            {
                "type": "unknown_claim_ref",
                "loc": (*where, "replaces_claim_ref"),
                "msg": f"no claim of {line.provider_id} has claim_ref {line.replaces_claim_ref}",
            }
        )
    if errors:
        raise UnknownEarlierClaimError(errors)
    return earlier


async def take_lines(
    lines: Sequence[SubmitClaim],
    look_up: LookUp,
    void: VoidClaim,
    accept: AcceptLines,
    *,
    batch: bool,
    vet: VetLines | None = None,
) -> list[Accepted]:
    """The answers to ``lines`` in their order, every frequency applied (see the module
    docstring): earlier claims looked up, voided (each once), new lines accepted.

    Raises :class:`UnknownEarlierClaimError` (nothing done), whatever ``vet`` raises
    for the new lines when some line voids (a ``claim_ref`` conflict found before
    anything is voided), :class:`EarlierClaimPendingError` (an earlier claim is not
    decided: the voids before it are done, which a retry repeats harmlessly; no line is
    accepted) and whatever ``accept`` raises."""
    earlier = await earlier_claims(lines, look_up, batch=batch)
    new = [line for line in lines if line.frequency is not ClaimFrequency.VOID]
    if earlier and new and vet is not None:
        await vet(new)
    for claim_id in dict.fromkeys(earlier.values()):
        await void(claim_id)
    accepted = iter(await accept(new) if new else [])
    answers: list[Accepted] = []
    for index, line in enumerate(lines):
        voided = earlier.get(index)
        if line.frequency is ClaimFrequency.VOID and voided is not None:
            answers.append(
                Accepted(line.claim_ref, voided, False, status="voided", voided_claim_id=voided)
            )
            continue
        answer = next(accepted)
        if voided is not None:
            answer = Accepted(
                answer.claim_ref, answer.claim_id, answer.duplicate, voided_claim_id=voided
            )
        answers.append(answer)
    return answers
