"""The small service kit every ATR service shares: settings, broker, database, outbox,
idempotent consumers, telemetry, metrics, logs and health endpoints.

It holds infrastructure only; no domain rule lives here.
"""
