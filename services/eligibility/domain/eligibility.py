"""Consistency of an eligibility determination with its inputs (SPEC §3.1; seed 003).

Financial eligibility is the assessor's recorded decision (seed 003 App. E §4 "clients
who were determined to be financially eligible"); the income test itself is the state's.
What the program fixes is checked here: ATR serves residents of the state (App. E §6:
moving out of the state ends the voucher) who have a substance use disorder (§I; App. D
"screening ... identify the need for specialized substance abuse treatment").
"""

from __future__ import annotations

from contracts.api.clients import EligibilityInputs


def outcome_contradictions(inputs: EligibilityInputs, eligible: bool) -> list[str]:
    """Why an ``eligible`` outcome contradicts ``inputs`` (empty when consistent).

    An ineligible outcome is always consistent: the assessor may refuse for reasons
    (income, insurance) the inputs record but the program does not fix.
    """
    if not eligible:
        return []
    reasons = []
    if not inputs.state_resident:
        reasons.append("NOT_STATE_RESIDENT")
    if not inputs.substance_use_disorder:
        reasons.append("NO_SUBSTANCE_USE_DISORDER")
    return reasons
