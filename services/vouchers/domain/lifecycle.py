"""The voucher state machine (SPEC §3.3; seed 003 App. E §4-6; seed 000 §2).

Every transition is a pure function from the current :class:`VoucherSnapshot` to the
next one (``version`` + 1), or raises :class:`InvalidTransitionError` (HTTP 409, with the
current state) or :class:`RuleViolationError` (HTTP 422). Time enters only as arguments
(``today``, ``now``), so tests move the clock freely.

States::

    issued ──select──▶ provider_selected ──admit──▶ active ──discharge──▶ discharged
      │                   │  ▲ (re-select before admission)                 │
      │                   │  └───────────────── select ─────────────────────┘
      └──── close (moved out of state / death) from any open state ──▶ closed
      └──── expire (validity over, by the scheduler) from any open state ──▶ expired
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from contracts.clients import ServiceAuthorization
from contracts.vouchers import ServiceBalance, VoucherKind, VoucherSnapshot

ASSESSMENT_VALID_DAYS = 30
"""Assessment vouchers are valid 30 days (seed 003 App. E §4)."""
SERVICE_VALID_DAYS = 365
"""Service vouchers are valid 365 days from the assessment (seed 003 App. E §4)."""
REENTRY_MAX_DAYS_BEFORE_RELEASE = 14
"""Re-entry vouchers only when release is 14 days away or less (seed 000 §2)."""
CLOSURE_REASONS = ("moved_out_of_state", "death")
"""The only reasons for early closure (seed 003 App. E §4)."""

OPEN_STATES = ("issued", "provider_selected", "active", "discharged")
TERMINAL_STATES = ("closed", "expired")


class InvalidTransitionError(Exception):
    """The voucher's current state does not allow this change (HTTP 409)."""

    def __init__(self, voucher: VoucherSnapshot, action: str, why: str) -> None:
        super().__init__(f"cannot {action} a voucher that is {voucher.status}: {why}")
        self.voucher = voucher
        self.action = action
        self.why = why


class RuleViolationError(Exception):
    """The request breaks a program rule whatever the state (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _balances(services: Sequence[ServiceAuthorization]) -> list[ServiceBalance]:
    return [
        ServiceBalance(
            service_code=s.service_code,
            authorized_units=s.units,
            authorized_amount=s.amount,
            remaining_units=s.units,
            remaining_amount=s.amount,
        )
        for s in services
    ]


def issue(
    *,
    voucher_id: str,
    client_id: str,
    kind: VoucherKind,
    today: date,
    valid_from: date,
    authorized_services: Sequence[ServiceAuthorization],
    max_value: Decimal | None,
    assessment_id: str | None = None,
) -> VoucherSnapshot:
    """A new voucher: 30 days for assessment vouchers, 365 days from the assessment else.

    Seed 003 App. E §4: assessment vouchers expire after 30 days; service vouchers are
    valid one year from the assessment date. Re-entry vouchers follow the service rule.
    """
    days = ASSESSMENT_VALID_DAYS if kind == "assessment" else SERVICE_VALID_DAYS
    codes = [s.service_code for s in authorized_services]
    if len(codes) != len(set(codes)):
        raise RuleViolationError("authorized_services", "a service code is listed twice")
    if kind != "assessment" and not authorized_services:
        raise RuleViolationError("authorized_services", "a service voucher authorises services")
    return VoucherSnapshot(
        voucher_id=voucher_id,
        client_id=client_id,
        kind=kind,
        status="issued",
        version=1,
        issued_on=today,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=days - 1),
        authorized_services=authorized_services,
        max_value=max_value,
        assessment_id=assessment_id,
        balances=_balances(authorized_services),
    )


def check_reentry_window(release_date: date, today: date) -> None:
    """Re-entry coordination vouchers only when release is 0-14 days away (seed 000 §2)."""
    days = (release_date - today).days
    if days < 0:
        raise RuleViolationError("release_date", "the release date has passed")
    if days > REENTRY_MAX_DAYS_BEFORE_RELEASE:
        raise RuleViolationError(
            "release_date",
            f"release is {days} days away; re-entry vouchers need "
            f"{REENTRY_MAX_DAYS_BEFORE_RELEASE} days or less",
        )


def _next(voucher: VoucherSnapshot, **changes: object) -> VoucherSnapshot:
    return voucher.model_copy(update={"version": voucher.version + 1, **changes})


def _require_open(voucher: VoucherSnapshot, action: str) -> None:
    if voucher.status in TERMINAL_STATES:
        raise InvalidTransitionError(voucher, action, "the voucher is no longer open")


def select_provider(voucher: VoucherSnapshot, provider_id: str) -> VoucherSnapshot:
    """Record the client's chosen provider; the voucher packet becomes available to it.

    Allowed before admission (the choice may change) and after a discharge (a new
    provider needs a separation from the first, SPEC §3.3). Not while active.
    """
    _require_open(voucher, "select a provider for")
    if voucher.status == "active":
        raise InvalidTransitionError(
            voucher, "select a provider for", "discharge from the current provider first"
        )
    return _next(
        voucher,
        status="provider_selected",
        provider_id=provider_id,
        admitted_on=None,
        admission_recorded_at=None,
        discharged_on=None,
    )


def admit(
    voucher: VoucherSnapshot, provider_id: str, admitted_on: date, *, today: date, now: datetime
) -> VoucherSnapshot:
    """The selected provider reports the admission: the voucher becomes chargeable.

    Seed 003 App. E §4: the voucher is activated when the provider reports admission.
    The admission date must fall within the validity period and not in the future.
    """
    _require_open(voucher, "admit on")
    if voucher.status != "provider_selected":
        raise InvalidTransitionError(voucher, "admit on", "admission needs a selected provider")
    if voucher.provider_id != provider_id:
        raise InvalidTransitionError(voucher, "admit on", "another provider is selected")
    if admitted_on > today:
        raise RuleViolationError("admitted_on", "admission date is in the future")
    if not voucher.valid_from <= admitted_on <= voucher.valid_until:
        raise RuleViolationError("admitted_on", "admission date is outside the voucher's validity")
    return _next(voucher, status="active", admitted_on=admitted_on, admission_recorded_at=now)


def extend(voucher: VoucherSnapshot, new_valid_until: date) -> VoucherSnapshot:
    """Move the expiry later; only a utilisation-review decision may (seed 003 App. E §4)."""
    _require_open(voucher, "extend")
    if new_valid_until <= voucher.valid_until:
        raise RuleViolationError("new_valid_until", "must be later than the current expiry")
    return _next(voucher, valid_until=new_valid_until)


def close(voucher: VoucherSnapshot, reason: str, closed_on: date | None = None) -> VoucherSnapshot:
    """Early closure, only for moving out of state or death (seed 003 App. E §4)."""
    if reason not in CLOSURE_REASONS:
        raise RuleViolationError("reason", "closure only for moved_out_of_state or death")
    _require_open(voucher, "close")
    return _next(voucher, status="closed", closed_on=closed_on)


def is_due_to_expire(voucher: VoucherSnapshot, today: date) -> bool:
    """True when the validity period is over and the voucher is still open."""
    return voucher.status in OPEN_STATES and today > voucher.valid_until


def expire(voucher: VoucherSnapshot, today: date) -> VoucherSnapshot:
    """The scheduler ends a voucher whose 365 (or 30) days have passed."""
    _require_open(voucher, "expire")
    if today <= voucher.valid_until:
        raise InvalidTransitionError(voucher, "expire", "the voucher is still within its validity")
    return _next(voucher, status="expired")


def discharge(voucher: VoucherSnapshot, provider_id: str, discharged_on: date) -> VoucherSnapshot:
    """Separation from the provider ends the admission (SPEC §3.3)."""
    _require_open(voucher, "discharge from")
    if voucher.status != "active":
        raise InvalidTransitionError(voucher, "discharge from", "only an admitted client")
    if voucher.provider_id != provider_id:
        raise InvalidTransitionError(voucher, "discharge from", "another provider holds it")
    if voucher.admitted_on is not None and discharged_on < voucher.admitted_on:
        raise RuleViolationError("discharged_on", "discharge before the admission date")
    return _next(voucher, status="discharged", discharged_on=discharged_on)


def apply_adjudication(
    voucher: VoucherSnapshot, service_code: str, units: int, amount: Decimal
) -> VoucherSnapshot:
    """Add an adjudicated claim's allowed units and amount to the balance (SPEC §3.3)."""
    return apply_adjudications(voucher, [(service_code, units, amount)])


def apply_adjudications(
    voucher: VoucherSnapshot, lines: Iterable[tuple[str, int, Decimal]]
) -> VoucherSnapshot:
    """Add several claims' allowed ``(service_code, units, amount)`` at once (SPEC §3.3).

    The same balances as applying them one by one with :func:`apply_adjudication` (the
    sums are exact), with one copy of the snapshot instead of one per line.
    """
    units: dict[str, int] = {}
    amounts: dict[str, Decimal] = {}
    total = Decimal("0.00")
    for service_code, line_units, line_amount in lines:
        units[service_code] = units.get(service_code, 0) + line_units
        amounts[service_code] = amounts.get(service_code, Decimal("0.00")) + line_amount
        total += line_amount
    balances = []
    for balance in voucher.balances:
        if balance.service_code in units:
            used_units = balance.used_units + units[balance.service_code]
            used_amount = balance.used_amount + amounts[balance.service_code]
            balance = balance.model_copy(
                update={
                    "used_units": used_units,
                    "used_amount": used_amount,
                    "remaining_units": None
                    if balance.authorized_units is None
                    else balance.authorized_units - used_units,
                    "remaining_amount": None
                    if balance.authorized_amount is None
                    else balance.authorized_amount - used_amount,
                }
            )
        balances.append(balance)
    return _next(voucher, balances=balances, used_amount=voucher.used_amount + total)


def concurrent_conflict(
    voucher: VoucherSnapshot, provider_id: str, others: list[VoucherSnapshot]
) -> str | None:
    """A service this voucher authorises that another provider already subsidises.

    SPEC §3.3: a client may not be subsidised for the same service by two providers at
    once; ``others`` are the client's other active vouchers.
    """
    mine = {s.service_code for s in voucher.authorized_services}
    for other in others:
        if other.voucher_id == voucher.voucher_id or other.status != "active":
            continue
        if other.provider_id == provider_id:
            continue
        shared = mine & {s.service_code for s in other.authorized_services}
        if shared:
            return sorted(shared)[0]
    return None
