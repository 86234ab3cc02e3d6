"""Denial reason codes of claim adjudication (SPEC §3.4), one enum for every service.

The values are the normative codes; a ``Reason`` is a ``str``, so events and stored
rows carry the plain code.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why units of a claim line were denied (SPEC §3.4, in the SPEC's order; codes the
    platform adds come after)."""

    VOUCHER_NOT_FOUND = "VOUCHER_NOT_FOUND"
    VOUCHER_NOT_ACTIVE = "VOUCHER_NOT_ACTIVE"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED"
    VOUCHER_CLOSED = "VOUCHER_CLOSED"
    SERVICE_NOT_AUTHORIZED = "SERVICE_NOT_AUTHORIZED"
    VOUCHER_UNITS_EXHAUSTED = "VOUCHER_UNITS_EXHAUSTED"
    VOUCHER_VALUE_EXHAUSTED = "VOUCHER_VALUE_EXHAUSTED"
    PROVIDER_NOT_ELIGIBLE = "PROVIDER_NOT_ELIGIBLE"
    PROVIDER_NOT_SELECTED = "PROVIDER_NOT_SELECTED"
    STAFF_NOT_QUALIFIED = "STAFF_NOT_QUALIFIED"
    DAILY_LIMIT = "DAILY_LIMIT"
    WEEKLY_LIMIT = "WEEKLY_LIMIT"
    MONTHLY_LIMIT = "MONTHLY_LIMIT"
    EPISODE_LIMIT = "EPISODE_LIMIT"
    LEVEL_ONE_LIMIT = "LEVEL_ONE_LIMIT"
    DOLLAR_CAP = "DOLLAR_CAP"
    GROUP_SIZE = "GROUP_SIZE"
    CONFLICTING_SERVICE = "CONFLICTING_SERVICE"
    CONCURRENT_PROVIDER = "CONCURRENT_PROVIDER"
    CLIENT_NOT_ELIGIBLE = "CLIENT_NOT_ELIGIBLE"
    DOCUMENTATION_MISSING = "DOCUMENTATION_MISSING"
    INVALID_UNITS = "INVALID_UNITS"
    MILEAGE_LIMIT = "MILEAGE_LIMIT"
    PASS_LIMIT = "PASS_LIMIT"  # noqa: S105 - a reason code, not a password
    DUPLICATE_CLAIM = "DUPLICATE_CLAIM"
    FUTURE_DATE = "FUTURE_DATE"
    NOT_BILLABLE = "NOT_BILLABLE"
    TIMELY_FILING = "TIMELY_FILING"
    """Filed more than the program's ``timely_filing_days`` after the service date (a
    code this platform adds to SPEC §3.4's list; X12 CARC 29 "the time limit for filing
    has expired")."""
