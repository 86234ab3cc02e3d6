"""The decision on one claim line: pure, typed, in one place (SPEC §3.3, §3.4).

:func:`adjudicate` puts together the voucher and party checks
(:mod:`~services.claims.domain.checks`), the duplicate check, the catalog engine
(:mod:`~services.claims.domain.engine`), the voucher caps and the read-your-writes rule
for voucher state. It reads its arguments and changes none of them; the same arguments
give the same decision.
"""

from __future__ import annotations

from contracts.reasons import Reason
from programs.catalog import Catalog
from services.claims.domain import checks, date_range, engine
from services.claims.domain.checks import LAG_REASONS
from services.claims.domain.facts import Facts, History, Voucher
from services.claims.domain.model import ClaimLine, ClientHistory, Decision, PriorLines
from services.claims.domain.precedence import PRECEDENCE, first

__all__ = ["LAG_REASONS", "PRECEDENCE", "adjudicate", "needs_lookup"]


def adjudicate(line: ClaimLine, facts: Facts, history: History, catalog: Catalog) -> Decision:
    """Decide ``line`` on ``facts`` and ``history`` under ``catalog`` (SPEC §3.4).

    0. Facts not confirmed current (``facts.current`` False: a replica the line depends
       on may miss a fact its owner acknowledged before the claim) decide nothing: the
       line is pended (README "When a claim is decided").
    1. Faults of the whole line: date and parties, the voucher, a duplicate
       (same provider, service, date and start time under another claim id), another
       provider holding the client for the service (``CONCURRENT_PROVIDER``), the
       catalog's whole-line rules. The line is denied with the first of them in
       :data:`PRECEDENCE`.
    2. Read-your-writes (SPEC §3.4): when that first fault is voucher state this
       service may not have seen yet (:data:`LAG_REASONS`), the vouchers service's
       answer (``facts.authoritative``) decides instead of the replica. Its state counts
       only as of the claim: an admission it acknowledged after ``line.submitted_at``
       leaves the line ``VOUCHER_NOT_ACTIVE``. Without an answer the line is pended
       (:meth:`Decision.pend`), never denied on the older view.
    3. Otherwise the catalog's caps, then what is left on the voucher
       (``VOUCHER_UNITS_EXHAUSTED``, ``VOUCHER_VALUE_EXHAUSTED``, SPEC §3.3).

    A date-range line (``service_date_to``) goes through these steps once per day, as
    the one-day lines it stands for (:mod:`~services.claims.domain.date_range`).
    """
    if not facts.current:
        return Decision.pend(line)
    if line.service_date_to is not None:
        return _adjudicate_range(line, facts, history, catalog)
    return _adjudicate_day(line, facts, history, catalog)


def _adjudicate_range(
    line: ClaimLine, facts: Facts, history: History, catalog: Catalog
) -> Decision:
    """A date-range line, day by day (:mod:`~services.claims.domain.date_range`): each
    day adjudicated as its own one-day line on the same facts, after the days before it
    were added to the client's history and the voucher's usage (as the batch adds
    separate lines); a day that pends makes the whole line pend."""
    fault = date_range.range_fault(catalog, line)
    if fault is not None:
        return Decision.deny(line, fault, engine.unit_rate(catalog, line))
    lines = PriorLines(base=history.lines)
    usage = history.usage.copy()
    days: list[Decision] = []
    for day in line.day_lines():
        decision = _adjudicate_day(day, facts, History(lines, usage), catalog)
        days.append(decision)
        if decision.pending:
            break
        if decision.allowed_units > 0 or decision.allowed_amount > 0:
            usage.add(day.service_code, decision.allowed_units, decision.allowed_amount)
            lines.append(day.allowed(decision.allowed_units, decision.allowed_amount))
    if days[-1].pending:
        return Decision.pend(line)
    return date_range.combine(line, days, engine.unit_rate(catalog, line))


def _adjudicate_day(line: ClaimLine, facts: Facts, history: History, catalog: Catalog) -> Decision:
    """One line of one day (steps 1 to 3 of :func:`adjudicate`)."""
    voucher = facts.voucher
    client_history = _client_history(facts, voucher, history)
    faults = _faults(line, facts, voucher, client_history, catalog)
    top = first(faults)
    if top in LAG_REASONS:
        truth = facts.authoritative
        if not (truth is None or isinstance(truth, Voucher)):
            return Decision.pend(line)
        voucher = truth
        client_history = _client_history(facts, voucher, history)
        faults = _faults(line, facts, voucher, client_history, catalog)
        if voucher is not None and not faults & LAG_REASONS and not _admitted_before(line, voucher):
            faults.add(Reason.VOUCHER_NOT_ACTIVE)
        top = first(faults)
    if top is not None:
        return Decision.deny(line, top, engine.unit_rate(catalog, line))
    assert voucher is not None  # no VOUCHER_NOT_FOUND
    decision = engine.capped(catalog, line, client_history)
    return checks.cap_by_voucher(decision, line, voucher, history.usage)


def needs_lookup(line: ClaimLine, facts: Facts) -> bool:
    """Whether the line's decision depends on the vouchers service's answer (SPEC §3.4):
    the first of its date, party and voucher faults on the local view is voucher state
    this service may not have seen yet (on any of a date-range line's days). Cheap;
    the worker asks only for these."""
    days = line.day_lines() if line.service_date_to is not None else (line,)
    return any(
        first(checks.party_faults(day, facts) | checks.voucher_faults(day, facts.voucher))
        in LAG_REASONS
        for day in days
    )


def _faults(
    line: ClaimLine,
    facts: Facts,
    voucher: Voucher | None,
    history: ClientHistory,
    catalog: Catalog,
) -> set[Reason]:
    faults = checks.party_faults(line, facts) | checks.voucher_faults(line, voucher)
    if history.lines.duplicate_of(line) is not None:
        faults.add(Reason.DUPLICATE_CLAIM)
    if checks.held_by_another_provider(line, voucher, facts.client_vouchers):
        faults.add(Reason.CONCURRENT_PROVIDER)
    return faults | engine.whole_line_faults(catalog, line, history)


def _admitted_before(line: ClaimLine, voucher: Voucher) -> bool:
    """The vouchers service acknowledged the admission no later than the claim."""
    recorded = voucher.admission_recorded_at
    return recorded is not None and line.submitted_at is not None and recorded <= line.submitted_at


def _client_history(facts: Facts, voucher: Voucher | None, history: History) -> ClientHistory:
    """The engine's view of the client: history, statuses, staff, episode bounds."""
    client = facts.client
    return ClientHistory(
        prior_lines=history.lines,
        statuses=client.statuses if client else (),
        staff=facts.staff,
        attributes=client.attributes if client else frozenset(),
        minor=client.minor if client else False,
        turns_18_in=client.turns_18_in if client else None,
        reviewed=client.reviewed if client else frozenset(),
        episode_start=voucher.valid_from if voucher else None,
        episode_end=voucher.valid_until if voucher else None,
    )
