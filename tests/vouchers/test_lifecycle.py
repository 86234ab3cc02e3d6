"""The voucher state machine: every transition and every refusal (SPEC §3.3).

Sources: seed 003 App. E §4 (30-day assessment and 365-day service vouchers, activation
on admission, extension by utilisation review, closure only for moving out of state or
death) and seed 000 §2 (re-entry vouchers only when release is 14 days away or less).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.clients import AuthorizedService
from contracts.vouchers import VoucherSnapshot
from services.vouchers.domain import lifecycle
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError

TODAY = date(2026, 8, 3)
NOW = datetime(2026, 8, 3, 15, tzinfo=UTC)
SERVICES = [
    AuthorizedService(service_code="RECOVERY_MENTORING_IND", units=40),
    AuthorizedService(service_code="EXTENDED_RESIDENTIAL_SUPPORT", amount=Decimal("400.00")),
]


def issued(kind: str = "service") -> VoucherSnapshot:
    return lifecycle.issue(
        voucher_id="VCH-1",
        client_id="CL-1",
        kind=kind,  # type: ignore[arg-type]
        today=TODAY,
        valid_from=TODAY,
        authorized_services=SERVICES if kind != "assessment" else [],
        max_value=Decimal("1000.00"),
    )


def selected() -> VoucherSnapshot:
    return lifecycle.select_provider(issued(), "PRV-A")


def active() -> VoucherSnapshot:
    return lifecycle.admit(selected(), "PRV-A", TODAY, today=TODAY, now=NOW)


def discharged() -> VoucherSnapshot:
    return lifecycle.discharge(active(), "PRV-A", TODAY)


def closed() -> VoucherSnapshot:
    return lifecycle.close(active(), "death")


def expired() -> VoucherSnapshot:
    return lifecycle.expire(issued(), TODAY + timedelta(days=400))


STATES = {
    "issued": issued,
    "provider_selected": selected,
    "active": active,
    "discharged": discharged,
    "closed": closed,
    "expired": expired,
}


def test_service_voucher_is_valid_365_days_from_the_assessment() -> None:
    """Seed 003 App. E §4: service vouchers are valid one year from the assessment."""
    voucher = issued()
    assert voucher.status == "issued"
    assert voucher.version == 1
    assert (voucher.valid_until - voucher.valid_from).days + 1 == 365
    assert [b.remaining_units for b in voucher.balances] == [40, None]


def test_assessment_voucher_is_valid_30_days() -> None:
    """Seed 003 App. E §4: an eligible client's assessment voucher runs 30 days."""
    voucher = issued("assessment")
    assert (voucher.valid_until - voucher.valid_from).days + 1 == 30


def test_service_voucher_without_services_is_refused() -> None:
    with pytest.raises(RuleViolationError) as refused:
        lifecycle.issue(
            voucher_id="V",
            client_id="C",
            kind="service",
            today=TODAY,
            valid_from=TODAY,
            authorized_services=[],
            max_value=None,
        )
    assert refused.value.field == "authorized_services"


def test_duplicate_service_codes_are_refused() -> None:
    with pytest.raises(RuleViolationError):
        lifecycle.issue(
            voucher_id="V",
            client_id="C",
            kind="service",
            today=TODAY,
            valid_from=TODAY,
            authorized_services=[SERVICES[0], SERVICES[0]],
            max_value=None,
        )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("issued", "provider_selected"),
        ("provider_selected", "provider_selected"),
        ("discharged", "provider_selected"),
    ],
)
def test_selection_allowed_before_admission_and_after_discharge(start: str, expected: str) -> None:
    voucher = STATES[start]()
    after = lifecycle.select_provider(voucher, "PRV-B")
    assert after.status == expected
    assert after.provider_id == "PRV-B"
    assert after.version == voucher.version + 1
    assert after.admitted_on is None


@pytest.mark.parametrize("start", ["active", "closed", "expired"])
def test_selection_refused_while_active_or_terminal(start: str) -> None:
    """SPEC §3.3: changing provider requires a separation (discharge) first."""
    voucher = STATES[start]()
    with pytest.raises(InvalidTransitionError) as refused:
        lifecycle.select_provider(voucher, "PRV-B")
    assert refused.value.voucher.status == start


def test_admission_by_the_selected_provider_activates() -> None:
    """Seed 003 App. E §4: the voucher is chargeable only after the admission report."""
    voucher = active()
    assert voucher.status == "active"
    assert voucher.admitted_on == TODAY
    assert voucher.admission_recorded_at == NOW


@pytest.mark.parametrize("start", ["issued", "active", "discharged", "closed", "expired"])
def test_admission_refused_without_a_pending_selection(start: str) -> None:
    with pytest.raises(InvalidTransitionError) as refused:
        lifecycle.admit(STATES[start](), "PRV-A", TODAY, today=TODAY, now=NOW)
    assert refused.value.voucher.status == start


def test_admission_by_another_provider_is_refused() -> None:
    with pytest.raises(InvalidTransitionError):
        lifecycle.admit(selected(), "PRV-OTHER", TODAY, today=TODAY, now=NOW)


@pytest.mark.parametrize("admitted_on", [TODAY + timedelta(days=1), TODAY - timedelta(days=1)])
def test_admission_date_in_future_or_before_validity_is_refused(admitted_on: date) -> None:
    with pytest.raises(RuleViolationError) as refused:
        lifecycle.admit(selected(), "PRV-A", admitted_on, today=TODAY, now=NOW)
    assert refused.value.field == "admitted_on"


@pytest.mark.parametrize("start", ["issued", "provider_selected", "active", "discharged"])
def test_extension_moves_expiry_in_open_states(start: str) -> None:
    voucher = STATES[start]()
    later = voucher.valid_until + timedelta(days=90)
    after = lifecycle.extend(voucher, later)
    assert after.valid_until == later
    assert after.status == voucher.status


def test_extension_must_move_the_date_later() -> None:
    with pytest.raises(RuleViolationError):
        lifecycle.extend(active(), active().valid_until)


@pytest.mark.parametrize("start", ["closed", "expired"])
def test_extension_refused_when_terminal(start: str) -> None:
    with pytest.raises(InvalidTransitionError):
        lifecycle.extend(STATES[start](), TODAY + timedelta(days=900))


@pytest.mark.parametrize("reason", ["moved_out_of_state", "death"])
@pytest.mark.parametrize("start", ["issued", "provider_selected", "active", "discharged"])
def test_closure_for_the_two_allowed_reasons(start: str, reason: str) -> None:
    after = lifecycle.close(STATES[start](), reason)
    assert after.status == "closed"


@pytest.mark.parametrize("reason", ["non_compliance", "provider_request", ""])
def test_closure_for_any_other_reason_is_refused(reason: str) -> None:
    with pytest.raises(RuleViolationError) as refused:
        lifecycle.close(active(), reason)
    assert refused.value.field == "reason"


@pytest.mark.parametrize("start", ["closed", "expired"])
def test_closure_refused_when_terminal(start: str) -> None:
    with pytest.raises(InvalidTransitionError):
        lifecycle.close(STATES[start](), "death")


def test_expiry_only_after_the_validity_period() -> None:
    voucher = issued()
    assert not lifecycle.is_due_to_expire(voucher, voucher.valid_until)
    with pytest.raises(InvalidTransitionError):
        lifecycle.expire(voucher, voucher.valid_until)
    day_after = voucher.valid_until + timedelta(days=1)
    assert lifecycle.is_due_to_expire(voucher, day_after)
    assert lifecycle.expire(voucher, day_after).status == "expired"


@pytest.mark.parametrize("start", ["closed", "expired"])
def test_terminal_vouchers_do_not_expire_again(start: str) -> None:
    voucher = STATES[start]()
    assert not lifecycle.is_due_to_expire(voucher, TODAY + timedelta(days=1000))


def test_discharge_by_the_admitting_provider() -> None:
    assert discharged().status == "discharged"


@pytest.mark.parametrize(
    "start", ["issued", "provider_selected", "discharged", "closed", "expired"]
)
def test_discharge_refused_unless_active(start: str) -> None:
    with pytest.raises(InvalidTransitionError):
        lifecycle.discharge(STATES[start](), "PRV-A", TODAY)


def test_discharge_by_another_provider_or_before_admission_is_refused() -> None:
    with pytest.raises(InvalidTransitionError):
        lifecycle.discharge(active(), "PRV-B", TODAY)
    with pytest.raises(RuleViolationError):
        lifecycle.discharge(active(), "PRV-A", TODAY - timedelta(days=1))


def test_reentry_window_is_fourteen_days() -> None:
    """Seed 000 §2: re-entry vouchers only when release is 14 days away or less."""
    lifecycle.check_reentry_window(TODAY + timedelta(days=14), TODAY)
    lifecycle.check_reentry_window(TODAY, TODAY)
    for release in (TODAY + timedelta(days=15), TODAY - timedelta(days=1)):
        with pytest.raises(RuleViolationError) as refused:
            lifecycle.check_reentry_window(release, TODAY)
        assert refused.value.field == "release_date"


def test_adjudicated_claims_move_the_balance() -> None:
    voucher = lifecycle.apply_adjudication(active(), "RECOVERY_MENTORING_IND", 6, Decimal("90.00"))
    mentoring = voucher.balances[0]
    assert (mentoring.used_units, mentoring.remaining_units) == (6, 34)
    assert mentoring.used_amount == Decimal("90.00")
    assert voucher.used_amount == Decimal("90.00")
    residential = lifecycle.apply_adjudication(
        voucher, "EXTENDED_RESIDENTIAL_SUPPORT", 1, Decimal("150.00")
    ).balances[1]
    assert residential.remaining_amount == Decimal("250.00")


def test_a_batch_of_claims_moves_the_balance_as_claims_one_by_one_do() -> None:
    lines = [
        ("RECOVERY_MENTORING_IND", 6, Decimal("90.00")),
        ("EXTENDED_RESIDENTIAL_SUPPORT", 1, Decimal("150.00")),
        ("NOT_ON_THIS_VOUCHER", 2, Decimal("10.05")),
        ("RECOVERY_MENTORING_IND", 3, Decimal("45.15")),
    ]
    one_by_one = active()
    for code, units, amount in lines:
        one_by_one = lifecycle.apply_adjudication(one_by_one, code, units, amount)
    at_once = lifecycle.apply_adjudications(active(), lines)
    assert at_once.balances == one_by_one.balances
    assert at_once.used_amount == one_by_one.used_amount == Decimal("295.20")
    assert at_once.balances[0].remaining_units == 40 - 9
    assert at_once.version == active().version + 1


def test_concurrent_subsidy_by_two_providers_is_detected() -> None:
    """SPEC §3.3: not the same service from two providers at once."""
    other = active()  # PRV-A holds RECOVERY_MENTORING_IND for CL-1
    mine = lifecycle.select_provider(issued().model_copy(update={"voucher_id": "VCH-2"}), "PRV-B")
    assert lifecycle.concurrent_conflict(mine, "PRV-B", [other]) == "EXTENDED_RESIDENTIAL_SUPPORT"
    assert lifecycle.concurrent_conflict(mine, "PRV-A", [other]) is None
    assert lifecycle.concurrent_conflict(mine, "PRV-B", [discharged()]) is None
