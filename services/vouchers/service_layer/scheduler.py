"""The expiry scheduler: a background task that expires vouchers past their validity."""

from __future__ import annotations

import asyncio
import logging

from services.kit.clock import Clock
from services.kit.runtime import BackgroundTask, ServiceRuntime
from services.vouchers.service_layer.use_cases import expire_due
from services.vouchers.settings import VouchersSettings

log = logging.getLogger(__name__)


async def expire_once(runtime: ServiceRuntime[VouchersSettings], clock: Clock) -> int:
    """One pass: expire every open voucher whose validity ended (SPEC §3.3)."""
    async with runtime.unit_of_work() as uow:
        count = await expire_due(uow, clock)
        await uow.commit()
    return count


def expiry_task(runtime: ServiceRuntime[VouchersSettings], clock: Clock) -> BackgroundTask:
    """A background task for :attr:`ServiceRuntime.background_tasks`."""

    async def run() -> None:
        while True:
            try:
                expired = await expire_once(runtime, clock)
                if expired:
                    log.info("expired %d vouchers", expired)
            except Exception:
                log.exception("voucher expiry pass failed; retrying")
            await asyncio.sleep(runtime.settings.voucher_expiry_interval_s)

    return run
