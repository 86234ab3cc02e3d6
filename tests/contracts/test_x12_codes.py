"""Every reason code the platform gives has its X12 CARC (contracts/x12_codes.py)."""

from __future__ import annotations

import re

from contracts.payments import FundingReason
from contracts.reasons import Reason
from contracts.x12_codes import REASON_CODES_X12, UNEXPLAINED_CARC, x12_reason


def test_every_reason_maps_to_a_carc() -> None:
    missing = [code for code in [*Reason, *FundingReason] if code not in REASON_CODES_X12]
    assert missing == []


def test_codes_look_like_x12_codes() -> None:
    for code, x12 in REASON_CODES_X12.items():
        assert re.fullmatch(r"[A-Z]?[0-9]{1,3}", x12.carc), code
        assert x12.rarc is None or re.fullmatch(r"[A-Z]{1,2}[0-9]{1,3}", x12.rarc), code


def test_unknown_reason_is_unexplained() -> None:
    assert x12_reason("SOMETHING_NEW").carc == UNEXPLAINED_CARC
    assert x12_reason("TIMELY_FILING").carc == "29"
