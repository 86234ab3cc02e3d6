"""X12 codes of the platform's reasons: one table from every reason code to a Claim
Adjustment Reason Code (CARC) and, where one says more, a Remittance Advice Remark Code
(RARC), as the 835 remittance (005010X221A1) carries them in CAS and LQ*HE.

Every adjustment is group ``CO`` (contractual obligation): a voucher program's denied
or withheld amount is never billed to the client.

The CARC and RARC values are the X12 external code lists' (X12 "Claim Adjustment Reason
Codes" and "Remittance Advice Remark Codes"); the choice of code for each of the
platform's reasons is this platform's (no seed gives one).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.claims import ClaimFrequency
from contracts.payments import FundingReason
from contracts.reasons import Reason

GROUP_CODE = "CO"
"""CAS01 claim adjustment group: contractual obligation (not the client's to pay)."""

HOLDBACK_CARC = "104"
"""CARC 104 "Managed care withholding": the 10 % of a funded line held back on the
episode (SPEC §3.5), released later as a provider-level adjustment (PLB)."""

UNEXPLAINED_CARC = "45"
"""CARC 45 "Charge exceeds fee schedule/maximum allowable": an amount not paid for
which the platform gives no reason (e.g. a decided line whose reasons are not known)."""


@dataclass(frozen=True)
class X12Reason:
    """The X12 codes of one of the platform's reason codes."""

    carc: str
    rarc: str | None = None


REASON_CODES_X12: dict[str, X12Reason] = {
    # Voucher (the prior authorization, REF*G1 of the 837P)
    Reason.VOUCHER_NOT_FOUND: X12Reason("15", "M62"),
    Reason.VOUCHER_NOT_ACTIVE: X12Reason("15"),
    Reason.VOUCHER_EXPIRED: X12Reason("27"),
    Reason.VOUCHER_CLOSED: X12Reason("27"),
    Reason.SERVICE_NOT_AUTHORIZED: X12Reason("15", "N54"),
    Reason.VOUCHER_UNITS_EXHAUSTED: X12Reason("198", "N362"),
    Reason.VOUCHER_VALUE_EXHAUSTED: X12Reason("198"),
    # Provider and staff
    Reason.PROVIDER_NOT_ELIGIBLE: X12Reason("B7"),
    Reason.PROVIDER_NOT_SELECTED: X12Reason("15"),
    Reason.STAFF_NOT_QUALIFIED: X12Reason("185"),
    # Frequency and amount limits
    Reason.DAILY_LIMIT: X12Reason("119", "N640"),
    Reason.WEEKLY_LIMIT: X12Reason("119", "N640"),
    Reason.MONTHLY_LIMIT: X12Reason("119", "N640"),
    Reason.EPISODE_LIMIT: X12Reason("119"),
    Reason.LEVEL_ONE_LIMIT: X12Reason("119"),
    Reason.DOLLAR_CAP: X12Reason("119"),
    Reason.MILEAGE_LIMIT: X12Reason("119"),
    Reason.PASS_LIMIT: X12Reason("119"),
    Reason.GROUP_SIZE: X12Reason("273"),
    # Other services and providers
    Reason.CONFLICTING_SERVICE: X12Reason("97", "N20"),
    Reason.CONCURRENT_PROVIDER: X12Reason("B20"),
    # Client, documentation and the line itself
    Reason.CLIENT_NOT_ELIGIBLE: X12Reason("177", "N30"),
    Reason.DOCUMENTATION_MISSING: X12Reason("252", "N225"),
    Reason.INVALID_UNITS: X12Reason("16", "M53"),
    Reason.DUPLICATE_CLAIM: X12Reason("18"),
    Reason.FUTURE_DATE: X12Reason("110"),
    Reason.NOT_BILLABLE: X12Reason("96"),
    Reason.TIMELY_FILING: X12Reason("29"),
    # Payments: an approved line left unfunded (the program's funds are spent)
    FundingReason.FUNDS_EXHAUSTED: X12Reason("119"),
}
"""Every reason code (:class:`Reason`, and payments' :class:`FundingReason`) → its CARC
and RARC. A unit test checks that no reason is missing."""


def x12_reason(code: str) -> X12Reason:
    """The CARC/RARC of a reason code (:data:`REASON_CODES_X12`); a code this table does
    not know (a newer service's) maps to CARC 45 rather than failing a remittance."""
    return REASON_CODES_X12.get(code, X12Reason(UNEXPLAINED_CARC))


CLAIM_FREQUENCY_CODES: dict[str, ClaimFrequency] = {
    "1": ClaimFrequency.ORIGINAL,
    "7": ClaimFrequency.REPLACEMENT,
    "8": ClaimFrequency.VOID,
}
"""837P ``CLM05-3`` claim frequency type code → :class:`ClaimFrequency`: 1 "Original
(admit through discharge claim)", 7 "Replacement of prior claim", 8 "Void/cancel of
prior claim" (the X12 / NUBC claim frequency codes 005010X222A1 admits in CLM05-3; an
absent code reads as 1). A replacement or void names the earlier claim in 2300
``REF*F8`` (payer claim control number)."""

CLAIM_FREQUENCY_X12: dict[ClaimFrequency, str] = {
    frequency: code for code, frequency in CLAIM_FREQUENCY_CODES.items()
}
""":class:`ClaimFrequency` → its ``CLM05-3`` code (the inverse of
:data:`CLAIM_FREQUENCY_CODES`)."""
