"""What the rule engine reads and returns (pure data; no I/O).

The claim worker builds these from its local state (voucher, provider and client
replicas plus the client's earlier adjudicated lines) and hands them to
:func:`services.claims.domain.engine.evaluate` together with the active program's
catalog. The engine never touches a database or the broker, so every rule can be tested
exhaustively (issue 7, SPEC §3.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal


@dataclass(frozen=True)
class ClaimLine:
    """One billed service line (SPEC §3.4 fields)."""

    claim_id: str
    provider_id: str
    client_id: str
    voucher_id: str
    service_code: str
    service_date: date
    units: int
    staff_id: str
    start_time: time | None = None
    end_time: time | None = None
    group_size: int | None = None
    client_signature: bool | None = None
    face_to_face: bool | None = None
    miles: Decimal | None = None
    pass_type: str | None = None
    pass_serial: str | None = None
    pass_price: Decimal | None = None
    activity: str | None = None


@dataclass(frozen=True)
class PriorLine:
    """An earlier line of the same client that was allowed (``allowed_units`` > 0)."""

    claim_id: str
    provider_id: str
    voucher_id: str
    service_code: str
    service_date: date
    allowed_units: int
    allowed_amount: Decimal
    start_time: time | None = None
    end_time: time | None = None
    miles: Decimal | None = None
    pass_type: str | None = None
    activity: str | None = None
    face_to_face: bool | None = None


@dataclass(frozen=True)
class StatusPeriod:
    """Clinical treatment status from ``effective_from`` until the next period starts.

    ``status`` is one of ``none``, ``level_1``, ``level_1_residential``, ``level_2``,
    ``level_3`` (SPEC §3.1).
    """

    status: str
    effective_from: date


@dataclass(frozen=True)
class StaffRecord:
    """The staff member who delivered the service, from the provider roster (seed 002)."""

    staff_id: str
    credentials: frozenset[str] = frozenset()
    months_experience: int = 0
    supervised: bool = False
    background_check_date: date | None = None


@dataclass(frozen=True)
class ClientHistory:
    """Everything about the client the catalog rules may need, as of this claim.

    ``prior_lines`` are the client's earlier allowed lines (every provider, every
    voucher), in adjudication order. ``episode_start``/``episode_end`` bound the service
    voucher (the "episode" of SPEC §3.4). ``attributes`` are program facts such as
    ``national_guard_referral``, ``employment_coaching_plan`` or
    ``transport_preauthorized`` (seed 001).
    """

    prior_lines: tuple[PriorLine, ...] = ()
    statuses: tuple[StatusPeriod, ...] = ()
    staff: StaffRecord | None = None
    attributes: frozenset[str] = frozenset()
    minor: bool = False
    episode_start: date | None = None
    episode_end: date | None = None

    def status_on(self, day: date) -> str:
        """The clinical treatment status in effect on ``day`` (``none`` if unknown)."""
        current = "none"
        for period in sorted(self.statuses, key=lambda p: p.effective_from):
            if period.effective_from <= day:
                current = period.status
        return current


@dataclass(frozen=True)
class Decision:
    """The engine's answer: allowed units and amount, and why the rest was denied."""

    billed_units: int
    allowed_units: int
    unit_rate: Decimal | None
    allowed_amount: Decimal
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def denied_units(self) -> int:
        """Units not allowed."""
        return self.billed_units - self.allowed_units

    @property
    def outcome(self) -> str:
        """``approved``, ``partially_approved`` or ``denied`` (SPEC §3.4)."""
        if self.allowed_units == self.billed_units and self.billed_units > 0:
            return "approved"
        if self.allowed_units > 0:
            return "partially_approved"
        return "denied"
