"""What a claim line is decided on: the voucher, provider, staff and client as the claims
service knows them, the vouchers service's own answer when it was asked, and the
client's history (SPEC §3.3, §3.4). Plain frozen values, mapped from the wire contracts
and the replicas at the edge (:mod:`services.claims.adapters.claim_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import MappingProxyType

from contracts.payments import next_fiscal_year_start
from services.claims.domain.model import PriorLines, StaffRecord, StatusPeriod


@dataclass(frozen=True)
class AuthorisedService:
    """One service a voucher authorises: at most ``units`` and/or ``amount`` (SPEC §3.3)."""

    service_code: str
    units: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class Voucher:
    """A service voucher as far as adjudication reads it (seed 003 App. E §4, SPEC §3.3).

    ``admission_recorded_at`` is when the vouchers service acknowledged the admission:
    the read-your-writes rule (SPEC §3.4) compares it with a claim's ``submitted_at``.
    """

    voucher_id: str
    client_id: str
    status: str
    valid_from: date
    valid_until: date
    authorised: Mapping[str, AuthorisedService] = field(
        default_factory=lambda: MappingProxyType({})
    )
    max_value: Decimal | None = None
    provider_id: str | None = None
    admitted_on: date | None = None
    admission_recorded_at: datetime | None = None
    discharged_on: date | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class Provider:
    """A provider as the registry last published it: status and roster (SPEC §3.2),
    and since when each status held (``history``: (first day, status), oldest first)."""

    provider_id: str
    status: str
    services: frozenset[str] = frozenset()
    staff: Mapping[str, StaffRecord] = field(default_factory=lambda: MappingProxyType({}))
    history: tuple[tuple[date, str], ...] = ()

    def eligible_on(self, day: date) -> bool:
        """Whether the provider could be paid for a service on ``day``.

        The status that held on that day decides, never today's (a suspension does not
        re-decide services rendered before it): ``active`` is eligible, ``suspended``
        is not, and ``ineligible_next_fiscal_year`` takes effect at the next fiscal year
        (seed 003 App. E §6: "declared these four providers ineligible for the voucher
        program for the next year"): services in the year it was decided are paid. The
        registry publishes the day it takes effect (``ineligible_from``), kept in the
        history as an :data:`INELIGIBLE` entry; an older entry without one takes effect
        on the first day of the fiscal year after the decision.
        Before the first status seen, the first one holds.
        """
        if not self.history:
            return self.status == "active"
        since, status = self.history[0]
        scheduled = False
        for first_day, later in self.history:
            if first_day > day:
                scheduled = scheduled or later == INELIGIBLE
                break
            since, status = first_day, later
        if status == "ineligible_next_fiscal_year":
            return scheduled or day < next_fiscal_year_start(since)
        return status == "active"


INELIGIBLE = "ineligible"
"""The status-history entry of the day a provider's ineligibility takes effect."""


@dataclass(frozen=True)
class Client:
    """What adjudication knows of a client: eligibility, age group (a minor at intake,
    and the year they turn 18: seed 002 Qualifications §2), treatment statuses and
    program attributes (SPEC §3.1; seed 001 attributes). No PHI."""

    eligible: bool | None = None
    minor: bool = False
    turns_18_in: int | None = None
    reviewed: frozenset[tuple[date, str]] = frozenset()
    """(service date, service code) whose documented unusual circumstances were reviewed
    and approved (seed 004 (A)2)."""
    statuses: tuple[StatusPeriod, ...] = ()
    attributes: frozenset[str] = frozenset()


class Unreachable(Enum):
    """The vouchers service was not asked about a voucher, or could not answer."""

    UNREACHABLE = "unreachable"


UNREACHABLE = Unreachable.UNREACHABLE
"""No authoritative answer: the vouchers service was not asked, or could not be."""

Authoritative = Voucher | Unreachable | None
"""The vouchers service's answer on a voucher: its state, ``None`` when it does not know
the voucher, or :data:`UNREACHABLE`."""


@dataclass(frozen=True)
class Facts:
    """The view one line is decided on (SPEC §3.4).

    ``voucher``, ``provider``, ``staff`` (the roster entry of the line's staff member)
    and ``client`` are the local replicas; ``None`` when unknown locally.
    ``client_vouchers`` are the client's vouchers (the concurrent-provider rule).
    ``authoritative`` is the vouchers service's answer on the line's voucher, used by
    the read-your-writes rule only; ``today`` is the date the decision is made on.
    ``current`` is False when a replica the line depends on could not be confirmed to
    hold every fact its owner had acknowledged (the fence,
    :mod:`services.claims.service_layer.fence`): the line then pends.
    """

    today: date
    current: bool = True
    voucher: Voucher | None = None
    provider: Provider | None = None
    staff: StaffRecord | None = None
    client: Client | None = None
    authoritative: Authoritative = UNREACHABLE
    client_vouchers: tuple[Voucher, ...] = ()
    """Every voucher of the line's client in the replica (its own included): who else
    holds the client for the service on the service date (SPEC §3.3)."""


@dataclass
class VoucherUsage:
    """Units and value already allowed on one voucher (the claims service's ledger)."""

    units: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal("0.00")

    def add(self, code: str, units: int, amount: Decimal) -> None:
        """Record an allowed line."""
        self.units[code] = self.units.get(code, 0) + units
        self.amounts[code] = self.amounts.get(code, Decimal("0.00")) + amount
        self.total += amount

    def copy(self) -> VoucherUsage:
        """An independent copy."""
        return VoucherUsage(dict(self.units), dict(self.amounts), self.total)


@dataclass(frozen=True)
class History:
    """What was already allowed before this line: the client's allowed lines (every
    provider, every voucher) and the usage of the line's voucher. Read, never changed,
    by :func:`~services.claims.domain.adjudicate.adjudicate`."""

    lines: PriorLines = field(default_factory=PriorLines)
    usage: VoucherUsage = field(default_factory=VoucherUsage)
