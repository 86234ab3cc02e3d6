"""The claims service's tables: replicas of the facts adjudication needs.

Claims, results and utilisation counters arrive with the claims issue.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table

metadata = MetaData()

provider_replica = Table(
    "provider_replica",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("services", JSON, nullable=False),
    Column("staff", JSON, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
)
