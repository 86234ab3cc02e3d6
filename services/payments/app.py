"""The payments process: module-level ``runtime``, ``broker`` and ``app``.

Fund accounting (quarterly allotments, 90/10 holdbacks, invoices) comes with its own
issue; the process already runs with its database, broker, outbox and health endpoints.
"""

from __future__ import annotations

from services.kit.runtime import ServiceRuntime
from services.payments.adapters.orm import metadata

runtime = ServiceRuntime("payments", metadata)
broker = runtime.broker
app = runtime.http_app(title="ATR payments service")
