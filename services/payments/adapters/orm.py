"""The payments service's tables: fiscal years with their allotments, what each quarter
has obligated, and the funding decision on every approved claim line (SPEC §3.5)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
)

metadata = MetaData()

fiscal_years = Table(
    "fiscal_years",
    metadata,
    Column("fiscal_year", Integer, primary_key=True, autoincrement=False),
    Column("q1", Numeric(14, 2), nullable=False),
    Column("q2", Numeric(14, 2), nullable=False),
    Column("q3", Numeric(14, 2), nullable=False),
    Column("q4", Numeric(14, 2), nullable=False),
    Column("opened_by", String(64)),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)
"""A fiscal year (named by the year it ends in) and its four allotments. Funding locks
the row of the year it decides in (one funder at a time per year)."""

quarter_totals = Table(
    "quarter_totals",
    metadata,
    Column("fiscal_year", Integer, nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("obligated", Numeric(14, 2), nullable=False),
    Column("payable", Numeric(14, 2), nullable=False),
    Column("held_back", Numeric(14, 2), nullable=False),
    PrimaryKeyConstraint("fiscal_year", "quarter"),
)
"""Per quarter, the sums of the funded lines for services dated in it (kept with them)."""

fundings = Table(
    "fundings",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("funded", Boolean, nullable=False),
    Column("payable", Numeric(12, 2), nullable=False),
    Column("holdback", Numeric(12, 2), nullable=False),
    Column("reason", String(40)),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
"""The funding decision on each approved line, once (``claim_id``)."""
