"""The vouchers process: module-level ``runtime``, ``broker`` and ``app``."""

from __future__ import annotations

from services.kit.runtime import ServiceRuntime
from services.vouchers.adapters.orm import metadata

runtime = ServiceRuntime("vouchers", metadata)
broker = runtime.broker
app = runtime.http_app(title="ATR vouchers service")
app.state.runtime = runtime
