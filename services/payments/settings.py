"""The payments service's settings: the kit's (:class:`services.kit.settings.Settings`)
plus the payments sweeps' intervals."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import Settings


class PaymentsSettings(Settings):
    """Settings of a payments process."""

    payments_forfeit_sweep_s: float = Field(
        default=3600.0,
        gt=0,
        description="How often payments forfeits holdbacks overdue 60 days (SPEC §3.5).",
    )
    payments_ledger_check_s: float = Field(
        default=300.0,
        gt=0,
        description="How often payments checks its ledger's invariants (a metric and logs).",
    )
