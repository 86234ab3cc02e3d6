"""The eligibility service's tables: providers today; clients, assessments, GPRA and
consent arrive with the eligibility issue."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, MetaData, String, Table

metadata = MetaData()

providers = Table(
    "providers",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("services", JSON, nullable=False),
    Column("counties", JSON, nullable=False),
    Column("faith_based", Boolean, nullable=False),
    Column("religious_affiliation", String(200)),
    Column("status", String(40), nullable=False),
    Column("staff", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
