"""The claims service's settings: the kit's (:class:`services.kit.settings.Settings`)
plus the claim workers' knobs (environment ``ATR_CLAIM_…``)."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import Settings


class ClaimsSettings(Settings):
    """Settings of a claims process (the API and its claim worker)."""

    claim_batch_size: int = Field(default=500, ge=1, le=5000)
    claim_history_cache_clients: int = Field(
        default=20_000,
        ge=0,
        description="Clients whose decided history a claim worker keeps in memory.",
    )
    claim_pending_sweep_s: float = Field(
        default=5.0,
        description="How often pending claims are re-checked against the vouchers service.",
    )
    claim_clock_skew_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description=(
            "The most the gateway's and the claim workers' clocks may differ: a batch of "
            "claims accepted this long before the replicas were last confirmed current "
            "is not confirmed again (README 'When a claim is decided')."
        ),
    )
    claim_fact_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description=(
            "How long a claim worker waits for its replicas to catch up with facts their "
            "owners acknowledged before a batch arrived; lines still behind then pend and "
            "the sweeper decides them later (README 'When a claim is decided')."
        ),
    )
