"""Catalog-independent checks of a claim line (SPEC §3.3, §3.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from contracts.reasons import Reason
from services.claims.domain import checks
from services.claims.domain.facts import (
    AuthorisedService,
    Client,
    Facts,
    Provider,
    Voucher,
    VoucherUsage,
)
from services.claims.domain.model import ClaimLine, Decision, PriorLine, PriorLines, StaffRecord

TODAY = date(2026, 9, 15)
SERVICE = "RECOVERY_MENTORING_IND"


VOUCHER = Voucher(
    voucher_id="V1",
    client_id="C1",
    status="active",
    valid_from=date(2026, 7, 1),
    valid_until=date(2027, 6, 30),
    authorised=MappingProxyType({SERVICE: AuthorisedService(SERVICE, units=10)}),
    max_value=Decimal("200.00"),
    provider_id="P1",
    admitted_on=date(2026, 7, 10),
    admission_recorded_at=datetime(2026, 7, 10, tzinfo=UTC),
)


def voucher(**changes: object) -> Voucher:
    return replace(VOUCHER, **changes)  # type: ignore[arg-type]


STAFF = StaffRecord("S1")
PROVIDER = Provider("P1", "active", frozenset({SERVICE}), MappingProxyType({"S1": STAFF}))


def facts(**changes: Any) -> Facts:
    base = Facts(today=TODAY, provider=PROVIDER, staff=STAFF, client=Client(eligible=True))
    return replace(base, **changes)


def claim(**changes: object) -> ClaimLine:
    values: dict[str, object] = {
        "claim_id": "K1",
        "provider_id": "P1",
        "client_id": "C1",
        "voucher_id": "V1",
        "service_code": SERVICE,
        "service_date": date(2026, 9, 1),
        "units": 4,
        "staff_id": "S1",
        "start_time": time(9),
        "end_time": time(10),
    }
    values.update(changes)
    return ClaimLine(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "state", "reason"),
    [
        (claim(), None, Reason.VOUCHER_NOT_FOUND),
        (claim(client_id="C2"), voucher(), Reason.VOUCHER_NOT_FOUND),
        (claim(), voucher(status="closed", closed_on=date(2026, 8, 1)), Reason.VOUCHER_CLOSED),
        (claim(service_date=date(2027, 7, 1)), voucher(), Reason.VOUCHER_EXPIRED),
        (claim(), voucher(provider_id="P2"), Reason.PROVIDER_NOT_SELECTED),
        (
            claim(),
            voucher(status="provider_selected", admitted_on=None),
            Reason.VOUCHER_NOT_ACTIVE,
        ),
        (claim(service_date=date(2026, 7, 9)), voucher(), Reason.VOUCHER_NOT_ACTIVE),
        (
            claim(),
            voucher(status="discharged", discharged_on=date(2026, 8, 1)),
            Reason.VOUCHER_NOT_ACTIVE,
        ),
        (claim(service_code="CHILD_CARE"), voucher(), Reason.SERVICE_NOT_AUTHORIZED),
    ],
)
def test_each_voucher_check_denies_with_its_reason(
    line: ClaimLine, state: Voucher | None, reason: Reason
) -> None:
    assert checks.voucher_faults(line, state) == {reason}


@pytest.mark.parametrize(
    ("line", "view", "reason"),
    [
        (claim(service_date=TODAY + timedelta(days=1)), facts(), Reason.FUTURE_DATE),
        (
            claim(),
            facts(provider=replace(PROVIDER, status="suspended")),
            Reason.PROVIDER_NOT_ELIGIBLE,
        ),
        (claim(), facts(staff=None), Reason.STAFF_NOT_QUALIFIED),
        (claim(), facts(client=Client(eligible=False)), Reason.CLIENT_NOT_ELIGIBLE),
    ],
)
def test_each_party_check_denies_with_its_reason(
    line: ClaimLine, view: Facts, reason: Reason
) -> None:
    assert checks.party_faults(line, view) == {reason}


def test_the_status_of_the_service_date_decides_not_todays() -> None:
    """SPEC §3.2 (suspension stops what comes after it) and seed 003 App. E §6: "declared
    these four providers ineligible for the voucher program for the next year"."""
    suspended = replace(
        PROVIDER,
        status="suspended",
        history=((date(2026, 7, 1), "active"), (date(2026, 9, 10), "suspended")),
    )
    assert (
        checks.party_faults(claim(service_date=date(2026, 9, 9)), facts(provider=suspended))
        == set()
    )
    assert checks.party_faults(
        claim(service_date=date(2026, 9, 10)), facts(provider=suspended)
    ) == {Reason.PROVIDER_NOT_ELIGIBLE}
    ineligible = replace(
        PROVIDER,
        status="ineligible_next_fiscal_year",
        history=((date(2026, 7, 1), "active"), (date(2026, 9, 1), "ineligible_next_fiscal_year")),
    )
    # decided in FY2027: the rest of FY2027 is still paid; FY2028 is not
    assert ineligible.eligible_on(date(2026, 9, 14))
    assert ineligible.eligible_on(date(2027, 6, 30))
    assert not ineligible.eligible_on(date(2027, 7, 1))
    reinstated = replace(
        suspended, status="active", history=(*suspended.history, (date(2026, 9, 12), "active"))
    )
    assert [reinstated.eligible_on(date(2026, 9, d)) for d in (9, 10, 11, 12)] == [
        True,
        False,
        False,
        True,
    ]


def test_an_unknown_provider_is_not_eligible_and_its_staff_not_on_a_roster() -> None:
    assert checks.party_faults(claim(), facts(provider=None, staff=None)) == {
        Reason.PROVIDER_NOT_ELIGIBLE,
        Reason.STAFF_NOT_QUALIFIED,
    }


@pytest.mark.parametrize(
    "state",
    [
        voucher(),
        voucher(status="discharged", discharged_on=date(2026, 9, 1)),
        voucher(status="closed", closed_on=date(2026, 9, 2)),
    ],
)
def test_a_line_within_an_admitted_period_passes(state: Voucher) -> None:
    assert checks.voucher_faults(claim(), state) == set()
    assert checks.party_faults(claim(), facts()) == set()


def test_same_service_same_start_billed_twice_is_a_duplicate() -> None:
    prior = PriorLine("K0", "P1", "V1", SERVICE, date(2026, 9, 1), 4, Decimal("60"), time(9))
    assert PriorLines((prior,)).duplicate_of(claim()) == "K0"
    assert PriorLines((prior,)).duplicate_of(claim(start_time=time(11))) is None
    assert PriorLines((prior,)).duplicate_of(claim(service_date=date(2026, 9, 2))) is None


def decision(units: int, rate: str = "15.00") -> Decision:
    return Decision(units, units, Decimal(rate), Decimal(rate) * units, ())


def test_voucher_units_cap_trims_to_what_is_left() -> None:
    usage = VoucherUsage()
    usage.add(SERVICE, 8, Decimal("120.00"))
    capped = checks.cap_by_voucher(decision(4), claim(), voucher(), usage)
    assert (capped.allowed_units, capped.allowed_amount) == (2, Decimal("30.00"))
    assert capped.reasons == ("VOUCHER_UNITS_EXHAUSTED",)
    assert capped.outcome == "partially_approved"


def test_voucher_value_cap_trims_to_whole_units_of_the_rest() -> None:
    usage = VoucherUsage()
    usage.add(SERVICE, 1, Decimal("170.00"))
    capped = checks.cap_by_voucher(decision(4), claim(), voucher(), usage)
    assert (capped.allowed_units, capped.allowed_amount) == (2, Decimal("30.00"))
    assert capped.reasons == ("VOUCHER_VALUE_EXHAUSTED",)


def test_nothing_left_denies_the_line() -> None:
    usage = VoucherUsage()
    usage.add(SERVICE, 10, Decimal("150.00"))
    capped = checks.cap_by_voucher(decision(4), claim(), voucher(), usage)
    assert capped.allowed_units == 0
    assert capped.outcome == "denied"


def test_within_the_voucher_nothing_changes() -> None:
    original = decision(4)
    assert checks.cap_by_voucher(original, claim(), voucher(), VoucherUsage()) == original
