"""Whether a provider may receive vouchers on a day, from its registry status (SPEC
§3.2; seed 003 App. E §6). Shared by the services that replicate the registry."""

from __future__ import annotations

from datetime import date


def receives_vouchers_on(status: str, ineligible_from: date | None, day: date) -> bool:
    """Whether a provider with ``status`` is eligible on ``day``.

    ``active``: yes. ``suspended``: no, from the suspension on (SPEC §3.2 "suspending a
    provider removes it from choice lists and stops new admissions").
    ``ineligible_next_fiscal_year``: yes until ``ineligible_from``, the first day of the
    next fiscal year (seed 003 App. E §6: "PIB declared these four providers ineligible
    for the voucher program for the next year"), no from then on; without that date
    (a record from before it was kept) it is treated as ineligible.
    """
    if status == "active":
        return True
    if status == "ineligible_next_fiscal_year":
        return ineligible_from is not None and day < ineligible_from
    return False
