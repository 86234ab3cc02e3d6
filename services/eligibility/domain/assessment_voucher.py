"""What an assessment must rest on (seed 003 App. E §3-4; SPEC §3.1): a valid assessment
voucher and the client's notice of the right to choose.

Seed 003 App. E §4: "clients who were determined to be financially eligible for
subsidies had 30-day vouchers for an assessment created for them by the State. Once an
assessment occurred, the assessor created a treatment/recovery services voucher".
App. E §3: "The client was then given a voucher for an assessment and a list of various
assessment sites. The client was also provided with notice of the right to genuine and
independent choice among eligible providers, including the right to an alternative
provider to whom the client had no religious objection. After the client redeemed the
assessment voucher, the client received a full assessment".

Pure: the caller passes the client's determinations and the dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ASSESSMENT_VOUCHER_DAYS = 30
"""Seed 003 App. E §4: "30-day vouchers for an assessment"."""


@dataclass(frozen=True)
class Determination:
    """A recorded financial-eligibility determination: its day and outcome."""

    determined_on: date
    eligible: bool

    @property
    def voucher_valid_until(self) -> date:
        """The last day the assessment voucher of an eligible determination can be
        redeemed: 30 days counting the day of the determination (as the vouchers
        service issues it)."""
        return self.determined_on + timedelta(days=ASSESSMENT_VOUCHER_DAYS - 1)


def redeemable_voucher(
    determinations: Iterable[Determination], assessed_on: date
) -> Determination | None:
    """The eligible determination whose 30-day assessment voucher covers ``assessed_on``.

    Seed 003 App. E §4 "30-day vouchers for an assessment": an assessment is the
    redemption of that voucher (App. E §3 "After the client redeemed the assessment
    voucher, the client received a full assessment"), so it must fall on or after the
    determination and within its 30 days. With several, the latest one covering the day.
    """
    covering = [
        d
        for d in determinations
        if d.eligible and d.determined_on <= assessed_on <= d.voucher_valid_until
    ]
    return max(covering, key=lambda d: d.determined_on, default=None)


def notice_precedes_assessment(notice_given_on: date, assessed_on: date) -> bool:
    """Whether the choice notice was given no later than the assessment.

    Seed 003 App. E §3: the notice is given with the assessment voucher, before the
    client "redeemed the assessment voucher" and "received a full assessment".
    """
    return notice_given_on <= assessed_on
