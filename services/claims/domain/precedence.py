"""Which reason a claim line is given when several apply: ONE ordered list (SPEC §3.4).

A whole-line denial names the first of its faults in :data:`PRECEDENCE`; a line whose
units were cut lists every cap that cut them, in :data:`PRECEDENCE` order.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.reasons import Reason

PRECEDENCE: tuple[Reason, ...] = (
    Reason.FUTURE_DATE,
    Reason.TIMELY_FILING,
    Reason.VOUCHER_NOT_FOUND,
    Reason.VOUCHER_CLOSED,
    Reason.VOUCHER_EXPIRED,
    Reason.PROVIDER_NOT_SELECTED,
    Reason.VOUCHER_NOT_ACTIVE,
    Reason.PROVIDER_NOT_ELIGIBLE,
    Reason.SERVICE_NOT_AUTHORIZED,
    Reason.CLIENT_NOT_ELIGIBLE,
    Reason.STAFF_NOT_QUALIFIED,
    Reason.DUPLICATE_CLAIM,
    Reason.DOCUMENTATION_MISSING,
    Reason.GROUP_SIZE,
    Reason.NOT_BILLABLE,
    Reason.CONFLICTING_SERVICE,
    Reason.CONCURRENT_PROVIDER,
    Reason.INVALID_UNITS,
    Reason.DAILY_LIMIT,
    Reason.WEEKLY_LIMIT,
    Reason.MONTHLY_LIMIT,
    Reason.EPISODE_LIMIT,
    Reason.LEVEL_ONE_LIMIT,
    Reason.MILEAGE_LIMIT,
    Reason.PASS_LIMIT,
    Reason.DOLLAR_CAP,
    Reason.VOUCHER_UNITS_EXHAUSTED,
    Reason.VOUCHER_VALUE_EXHAUSTED,
)
"""Every SPEC §3.4 reason code, the one that wins first.

From whether anything may be charged at all to how much: the service date (a future
date is never chargeable, nor one filed after the program's timely filing limit); the
voucher (found, not closed, in date, this provider
selected, admitted: seed 003 App. E §4); the provider (eligible, SPEC §3.2) and the
service (authorised on the voucher, SPEC §3.3); the client (eligible for the service:
status, attributes; seed 000, 001) before the staff member (on the roster, qualified:
seed 000, 002) — a client who may not receive the service makes the staff question
moot; then the line itself (a duplicate, documentation, group size, a billable service
or activity, a conflict with another service that day: seed 000 §2, §4, seed 004);
last the caps that allow part of a line (units against the times, the catalog's
windows day → episode, level one, mileage, passes, dollars; then what is left on the
voucher, SPEC §3.3). A whole-line fault always comes before every cap, so a denied
line never also names a cap.

An unknown or unpriced service is ``NOT_BILLABLE`` alone: the catalog's other rules
cannot be read for it (:func:`services.claims.domain.engine.whole_line_faults`).
"""

RANK: dict[Reason, int] = {reason: rank for rank, reason in enumerate(PRECEDENCE)}
"""Each reason's position in :data:`PRECEDENCE`."""


def first(reasons: Iterable[Reason]) -> Reason | None:
    """The reason that wins among ``reasons`` (None when there are none)."""
    return min(reasons, key=RANK.__getitem__, default=None)


def ordered(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """``reasons`` once each, in :data:`PRECEDENCE` order."""
    return tuple(sorted(set(reasons), key=RANK.__getitem__))
