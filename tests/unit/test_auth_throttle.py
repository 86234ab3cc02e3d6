"""Failed authentications are limited per address (token guessing was unthrottled)."""

from __future__ import annotations

from services.gateway.domain.throttle import FailedAuthThrottle


def test_the_address_is_refused_after_the_limit_until_the_window_passes() -> None:
    throttle = FailedAuthThrottle(limit=3, window_s=60)
    for second in range(3):
        assert throttle.retry_after("198.51.100.1", now=float(second)) is None
        throttle.record_failure("198.51.100.1", now=float(second))
    assert throttle.retry_after("198.51.100.1", now=10.0) == 50  # first failure at 0 + 60
    assert throttle.retry_after("198.51.100.2", now=10.0) is None  # other addresses unaffected
    assert throttle.retry_after("198.51.100.1", now=60.5) is None  # the first one left the window


def test_failures_outside_the_window_do_not_count() -> None:
    throttle = FailedAuthThrottle(limit=2, window_s=10)
    throttle.record_failure("a", now=0.0)
    assert throttle.record_failure("a", now=11.0) == 1
    assert throttle.retry_after("a", now=11.5) is None


def test_memory_is_bounded_by_forgetting_the_least_recent_addresses() -> None:
    throttle = FailedAuthThrottle(limit=1, window_s=60, max_addresses=2)
    for index, address in enumerate(["a", "b", "c"]):
        throttle.record_failure(address, now=float(index))
    assert throttle.retry_after("a", now=3.0) is None
    assert throttle.retry_after("b", now=3.0) is not None
    assert throttle.retry_after("c", now=3.0) is not None
