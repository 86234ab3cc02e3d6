"""Catalog-independent checks of the claim worker (issue 6 item 4; SPEC §3.3, §3.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from contracts.clients import AuthorizedService
from contracts.vouchers import VoucherSnapshot
from services.claims.domain import checks
from services.claims.domain.checks import ProviderFacts, VoucherUsage
from services.claims.domain.model import ClaimLine, Decision, PriorLine, PriorLines

TODAY = date(2026, 9, 15)
SERVICE = "RECOVERY_MENTORING_IND"


def voucher(**changes: object) -> VoucherSnapshot:
    base = VoucherSnapshot(
        voucher_id="V1",
        client_id="C1",
        kind="service",
        status="active",
        version=3,
        issued_on=date(2026, 7, 1),
        valid_from=date(2026, 7, 1),
        valid_until=date(2027, 6, 30),
        authorized_services=[AuthorizedService(service_code=SERVICE, units=10)],
        max_value=Decimal("200.00"),
        provider_id="P1",
        admitted_on=date(2026, 7, 10),
        admission_recorded_at=datetime(2026, 7, 10, tzinfo=UTC),
    )
    return base.model_copy(update=changes)


PROVIDER = ProviderFacts("P1", "active", frozenset({SERVICE}), {"S1": {"staff_id": "S1"}})


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
    ("line", "state", "provider", "eligible", "reason"),
    [
        (claim(service_date=TODAY + timedelta(days=1)), voucher(), PROVIDER, None, "FUTURE_DATE"),
        (claim(), None, PROVIDER, None, "VOUCHER_NOT_FOUND"),
        (claim(client_id="C2"), voucher(), PROVIDER, None, "VOUCHER_NOT_FOUND"),
        (
            claim(),
            voucher(status="closed", closed_on=date(2026, 8, 1)),
            PROVIDER,
            None,
            "VOUCHER_CLOSED",
        ),
        (claim(service_date=date(2026, 6, 1)), voucher(), PROVIDER, None, "VOUCHER_EXPIRED"),
        (claim(), voucher(provider_id="P2"), PROVIDER, None, "PROVIDER_NOT_SELECTED"),
        (
            claim(),
            voucher(status="provider_selected", admitted_on=None),
            PROVIDER,
            None,
            "VOUCHER_NOT_ACTIVE",
        ),
        (claim(service_date=date(2026, 7, 9)), voucher(), PROVIDER, None, "VOUCHER_NOT_ACTIVE"),
        (
            claim(),
            voucher(status="discharged", discharged_on=date(2026, 8, 1)),
            PROVIDER,
            None,
            "VOUCHER_NOT_ACTIVE",
        ),
        (
            claim(),
            voucher(),
            ProviderFacts("P1", "suspended", frozenset(), {"S1": {}}),
            None,
            "PROVIDER_NOT_ELIGIBLE",
        ),
        (claim(), voucher(), None, None, "PROVIDER_NOT_ELIGIBLE"),
        (claim(service_code="CHILD_CARE"), voucher(), PROVIDER, None, "SERVICE_NOT_AUTHORIZED"),
        (claim(staff_id="S9"), voucher(), PROVIDER, None, "STAFF_NOT_QUALIFIED"),
        (claim(), voucher(), PROVIDER, False, "CLIENT_NOT_ELIGIBLE"),
    ],
)
def test_each_voucher_check_denies_with_its_reason(
    line: ClaimLine,
    state: VoucherSnapshot | None,
    provider: ProviderFacts | None,
    eligible: bool | None,
    reason: str,
) -> None:
    assert checks.voucher_reasons(line, state, provider, today=TODAY, client_eligible=eligible) == [
        reason
    ]


@pytest.mark.parametrize(
    "state",
    [
        voucher(),
        voucher(status="discharged", discharged_on=date(2026, 9, 1)),
        voucher(status="closed", closed_on=date(2026, 9, 2)),
    ],
)
def test_a_line_within_an_admitted_period_passes(state: VoucherSnapshot) -> None:
    assert checks.voucher_reasons(claim(), state, PROVIDER, today=TODAY, client_eligible=True) == []


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
