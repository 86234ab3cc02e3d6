"""The payments service's tables: fiscal years with their allotments, what each quarter
has obligated, the funding decision on every approved claim line, holdbacks, invoices
and the year-end incentive pool (SPEC §3.5)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
    Column("proposed_costs", JSON, nullable=False, default=dict),
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
    Column("denial_reasons", JSON, nullable=False, default=list),
    Column("run_id", String(7), index=True),
)
"""Every adjudicated line, once (``claim_id``): the funding decision on an approved
line, or a denied line with its reasons (for the remittance statement). ``run_id`` is
the invoice run that paid or reported it."""

holdbacks = Table(
    "holdbacks",
    metadata,
    Column("provider_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("first_service", Date, nullable=False),
    Column("last_service", Date, nullable=False),
    Column("state", String(12), nullable=False),
    Column("settled_on", Date),
    PrimaryKeyConstraint("provider_id", "voucher_id", "fiscal_year", "state"),
)
"""The 10 % held back on a provider's episode (its voucher), per fiscal year the lines
were funded from: ``open`` until released or forfeited (SPEC §3.5). A holdback added
after the episode was settled is settled the same way at once (a row per state)."""

discharges = Table(
    "discharges",
    metadata,
    Column("provider_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("discharged_on", Date, nullable=False),
    PrimaryKeyConstraint("provider_id", "voucher_id"),
)
"""Discharges the providers reported (``atr.voucher.discharged``)."""

gpra_discharges = Table(
    "gpra_discharges",
    metadata,
    Column("client_id", String(64), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("conducted_on", Date, nullable=False),
    PrimaryKeyConstraint("client_id", "provider_id"),
)
"""The latest complete GPRA discharge interview per client and provider."""

releases = Table(
    "releases",
    metadata,
    Column("release_id", String(36), primary_key=True),
    Column("provider_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("settled_on", Date, nullable=False),
    Column("run_id", String(7), index=True),
)
"""Each holdback release, paid by the invoice run ``run_id``."""

invoice_runs = Table(
    "invoice_runs",
    metadata,
    Column("run_id", String(7), primary_key=True),
    Column("cutoff", Date, nullable=False),
    Column("created_by", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""One invoice run per month (``2026-11``): it pays what was payable before ``cutoff``,
the month's first day (SPEC §3.5)."""

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", String(120), primary_key=True),
    Column("run_id", String(7), nullable=False, index=True),
    Column("provider_id", String(64), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("payable", Numeric(14, 2), nullable=False),
    Column("released", Numeric(14, 2), nullable=False),
    Column("adjusted", Numeric(14, 2), nullable=False, default=0),
    Column("total", Numeric(14, 2), nullable=False),
    Column("incentives", Numeric(14, 2), nullable=False, server_default="0"),
)
"""A provider's invoice of one run: its payable lines, released holdbacks and incentive
pool awards."""

completions = Table(
    "completions",
    metadata,
    Column("client_id", String(64), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("conducted_on", Date, nullable=False),
    Column("discharge_reason", String(40)),
    Column("brief_intervention", Boolean, nullable=False),
    PrimaryKeyConstraint("client_id", "provider_id", "conducted_on"),
)
"""Complete GPRA discharge interviews by a provider, with the discharge reason: the
candidates for a successful completion (seed 003 §II footnote 2)."""

drug_tests = Table(
    "drug_tests",
    metadata,
    Column("test_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("tested_on", Date, nullable=False),
    Column("random", Boolean, nullable=False),
    Column("result", String(12), nullable=False),
)
"""Drug tests as eligibility recorded them (``atr.client.drug_test_recorded``)."""

incentive_distributions = Table(
    "incentive_distributions",
    metadata,
    Column("fiscal_year", Integer, primary_key=True, autoincrement=False),
    Column("pool", Numeric(14, 2), nullable=False),
    Column("distributed", Numeric(14, 2), nullable=False),
    Column("undistributed", Numeric(14, 2), nullable=False),
    Column("distributed_by", String(64)),
    Column("distributed_at", DateTime(timezone=True), nullable=False),
)
"""A fiscal year's incentive pool, distributed once at year end: the forfeited
holdbacks then (``pool``), what was awarded and what was not (SPEC §3.5)."""

incentive_awards = Table(
    "incentive_awards",
    metadata,
    Column("fiscal_year", Integer, nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("completions", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("awarded_on", Date, nullable=False),
    Column("run_id", String(7), index=True),
    PrimaryKeyConstraint("fiscal_year", "provider_id"),
)
"""A provider's share of a year's pool, paid by the invoice run ``run_id``."""

adjustments = Table(
    "adjustments",
    metadata,
    Column("correction_id", String(36), primary_key=True),
    Column("claim_id", String(64), nullable=False, index=True),
    Column("provider_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("voucher_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("amount_delta", Numeric(12, 2), nullable=False),
    Column("payable_delta", Numeric(12, 2), nullable=False),
    Column("holdback_delta", Numeric(12, 2), nullable=False),
    Column("payable_clawback", Numeric(12, 2), nullable=False),
    Column("released_clawback", Numeric(12, 2), nullable=False),
    Column("corrected_on", Date, nullable=False),
    Column("run_id", String(7), index=True),
)
"""Each correction of a line payments had decided (idempotent by ``correction_id``):
the differences of its funding, and what the provider's next invoice takes back: the
payable of a line a run had already paid (``payable_clawback``) and the part of a
released holdback (``released_clawback``). ``run_id`` is the run that took it."""

administrative_costs = Table(
    "administrative_costs",
    metadata,
    Column("reference", String(64), primary_key=True),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("quarter", Integer, nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("recorded_by", String(64)),
)
"""The program's administrative expenses (seed 003 App. B), one row per agency
document reference (idempotent): they count toward total expenditures, not against the
quarter's allotment for services."""
