"""Deciding a batch of claim lines in order, on what the claim store loaded.

Used by the batch worker (new lines) and by the pending paths (the voucher consumer and
the sweeper). Lines of one client are decided strictly in the order they were received;
a client with a pending line keeps later lines pending behind it, so client-level
limits always see the same order as the submissions (SPEC §2 keys). Each line's
decision is :func:`~services.claims.domain.adjudicate.adjudicate`'s; what this module
adds is the batch: a line allowed earlier in it counts for the later ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from programs.catalog import Catalog
from services.claims.adapters.claim_store import Decided, Loaded
from services.claims.domain.adjudicate import adjudicate, needs_lookup
from services.claims.domain.facts import (
    UNREACHABLE,
    Authoritative,
    Facts,
    History,
    VoucherUsage,
)
from services.claims.domain.model import ClaimLine, Decision, PriorLines
from services.claims.service_layer.fence import NOTHING_STALE, Stale, is_current

__all__ = ["UNREACHABLE", "decide_batch", "facts_of", "vouchers_to_ask"]


def facts_of(
    loaded: Loaded,
    line: ClaimLine,
    today: date,
    authoritative: Mapping[str, Authoritative],
    stale: Stale = NOTHING_STALE,
) -> Facts:
    """The view ``line`` is decided on: the loaded replicas (not current when the fence
    left one of them ``stale``) and the vouchers service's answer on its voucher
    (:data:`UNREACHABLE` when it was not asked)."""
    provider = loaded.providers.get(line.provider_id)
    return Facts(
        today=today,
        current=is_current(line, stale),
        voucher=loaded.vouchers.get(line.voucher_id),
        provider=provider,
        staff=provider.staff.get(line.staff_id) if provider is not None else None,
        client=loaded.clients.get(line.client_id),
        authoritative=authoritative.get(line.voucher_id, UNREACHABLE),
        client_vouchers=loaded.client_vouchers.get(line.client_id, ()),
    )


def vouchers_to_ask(loaded: Loaded, today: date) -> set[str]:
    """The vouchers the vouchers service must be asked about before deciding: those of
    lines whose decision depends on voucher state not seen yet (SPEC §3.4; rare)."""
    return {
        line.voucher_id
        for line in loaded.lines
        if line.client_id not in loaded.pending_clients
        and needs_lookup(line, facts_of(loaded, line, today, {}))
    }


def decide_batch(
    loaded: Loaded,
    catalog: Catalog,
    *,
    today: date,
    authoritative: Mapping[str, Authoritative],
    stale: Stale = NOTHING_STALE,
) -> list[Decided]:
    """Decide ``loaded.lines`` in order, in memory; each line with its decision.

    Nothing is written and ``loaded`` is not changed: the lines allowed in the batch go
    to overlays of the clients' histories and copies of the vouchers' usage. A pended
    line makes its client's later lines pend behind it. A voucher missing from
    ``authoritative`` was not asked: a line whose decision depends on it pends; so
    does a line whose replicas the fence left ``stale``.
    """
    prior: dict[str, PriorLines] = {}
    usage: dict[str, VoucherUsage] = {}
    pending = set(loaded.pending_clients)
    decided: list[Decided] = []
    for line in loaded.lines:
        if line.client_id in pending:
            decided.append((line, Decision.pend(line)))
            continue
        lines = prior.get(line.client_id)
        stored = loaded.histories.get(line.client_id)
        if lines is None:
            lines = prior[line.client_id] = PriorLines(
                base=stored.lines if stored is not None else None
            )
        ledger = usage.get(line.voucher_id)
        if ledger is None:
            known = stored.usage.get(line.voucher_id) if stored is not None else None
            ledger = usage[line.voucher_id] = known.copy() if known else VoucherUsage()
        decision = adjudicate(
            line,
            facts_of(loaded, line, today, authoritative, stale),
            History(lines, ledger),
            catalog,
        )
        decided.append((line, decision))
        if decision.pending:
            pending.add(line.client_id)
        elif decision.allowed_units > 0 or decision.allowed_amount > 0:
            ledger.add(line.service_code, decision.allowed_units, decision.allowed_amount)
            lines.append(
                line.allowed(decision.allowed_units, decision.allowed_amount, decision.allowed_days)
            )
    return decided
