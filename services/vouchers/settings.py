"""The vouchers service's settings: the kit's (:class:`services.kit.settings.Settings`)
plus the voucher lifecycle's knobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field

from services.kit.settings import Settings


class VouchersSettings(Settings):
    """Settings of the vouchers process."""

    voucher_expiry_interval_s: float = Field(
        default=60.0, description="How often the vouchers scheduler looks for expired vouchers."
    )
    voucher_balance_linger_s: float = Field(
        default=0.5,
        ge=0,
        description=(
            "How long the vouchers service gathers adjudicated claims before applying them "
            "to balances (one new version and event per voucher per batch)."
        ),
    )
    relationship_grace_days: int = Field(
        default=60,
        ge=0,
        description="Days after a provider's voucher for a client ends (discharge, "
        "closure, expiry) during which it may still report the client's outcomes.",
    )


async def vouchers_settings(request: Request) -> VouchersSettings:
    """The vouchers service's settings, for a route (a FastAPI dependency)."""
    settings = request.app.state.runtime.settings
    if not isinstance(settings, VouchersSettings):
        raise TypeError("the vouchers routes need the vouchers service's settings")
    return settings


VouchersSettingsDep = Annotated[VouchersSettings, Depends(vouchers_settings)]
"""The vouchers service's settings (the relationship grace)."""
