"""Reporting read models (SPEC §3.6), built only from the topics and rebuildable by
replaying them (``atr reporting rebuild``).

Money columns are ``Numeric(14, 2)``: dollars with exact cents.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)

metadata = MetaData()

Money = Numeric(14, 2)

program_counters = Table(
    "program_counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

claim_lines = Table(
    "claim_lines",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("service_date", Date, nullable=False, index=True),
    Column("billed_units", Integer, nullable=False),
    Column("allowed_units", Integer, nullable=False),
    Column("denied_units", Integer, nullable=False),
    Column("unit_rate", Numeric(12, 4)),
    Column("allowed_amount", Money, nullable=False),
    Column("denied_amount", Money, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reasons", String(1000), nullable=False),
    Column("corrected", Boolean, nullable=False),
    Column("voided", Boolean, nullable=False),
)
"""One adjudicated line as it now stands: a correction replaces its units and amounts
(``reasons`` holds the denial codes, comma-separated, sorted)."""

line_fundings = Table(
    "line_fundings",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("provider_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("quarter", Integer, nullable=False),
    Column("funded", Boolean, nullable=False),
    Column("amount", Money, nullable=False),
    Column("reason", String(64)),
)
"""The funding of one approved line; ``amount`` is what stays funded after adjustments."""

allotments = Table(
    "allotments",
    metadata,
    Column("fiscal_year", Integer, primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("amount", Money, nullable=False),
)

proposed_costs = Table(
    "proposed_costs",
    metadata,
    Column("fiscal_year", Integer, primary_key=True),
    Column("modality", String(64), primary_key=True),
    Column("low", Money, nullable=False),
    Column("high", Money, nullable=False),
    Column("justification", String(500), nullable=False),
)
"""The state's per-person cost ranges for a fiscal year (seed 003 App. G), from
``FiscalYearOpened``."""

administrative_costs = Table(
    "administrative_costs",
    metadata,
    Column("reference", String(64), primary_key=True),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("quarter", Integer, nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount", Money, nullable=False),
)
"""The program's administrative expenses (seed 003 App. B), from
``AdministrativeCostRecorded``."""

holdback_settlements = Table(
    "holdback_settlements",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("voucher_id", String(64), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("amount", Money, nullable=False),
    Column("settled_on", Date, nullable=False),
)
"""Each episode's holdback released or forfeited (``kind``)."""

incentive_awards = Table(
    "incentive_awards",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("fiscal_year", Integer, primary_key=True),
    Column("completions", Integer, nullable=False),
    Column("amount", Money, nullable=False),
    Column("awarded_on", Date, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("run_id", String(16), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("payable", Money, nullable=False),
    Column("released", Money, nullable=False),
    Column("adjusted", Money, nullable=False),
    Column("incentives", Money, nullable=False),
    Column("total", Money, nullable=False),
)

vouchers_issued = Table(
    "vouchers_issued",
    metadata,
    Column("voucher_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("issued_on", Date, nullable=False),
)

providers_designated = Table(
    "providers_designated",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("designated_on", Date, nullable=False),
)

choice_exceptions = Table(
    "choice_exceptions",
    metadata,
    Column("exception_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("county", String(64)),
    Column("shortfalls", JSON, nullable=False),
    Column("offered", JSON, nullable=False),
    Column("organisation_id", String(64)),
    Column("recorded_on", Date, nullable=False, index=True),
)
"""Choice exceptions eligibility recorded (SPEC §3.2 "which reports show")."""

self_referrals = Table(
    "self_referrals",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("voucher_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("selected_on", Date, nullable=False, index=True),
)
"""Selections of the assessor's own organisation (SPEC §3.2: "recorded as a
self-referral and reported")."""

READ_MODELS = (
    program_counters,
    claim_lines,
    line_fundings,
    allotments,
    proposed_costs,
    administrative_costs,
    holdback_settlements,
    incentive_awards,
    invoices,
    vouchers_issued,
    providers_designated,
    choice_exceptions,
    self_referrals,
)
"""Every table ``atr reporting rebuild`` empties before it replays the topics."""
