"""The vouchers service's tables: vouchers, their decision log and a provider replica."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

vouchers = Table(
    "vouchers",
    metadata,
    Column("voucher_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("provider_id", String(64), index=True),
    Column("valid_until", Date, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
"""Current state of every voucher; ``snapshot`` is the ``VoucherSnapshot`` JSON."""

voucher_decisions = Table(
    "voucher_decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("voucher_id", String(64), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("reason", Text),
    Column("detail", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
"""Who changed what and why: selections, admissions, utilisation reviews, closures."""

voucher_providers = Table(
    "voucher_providers",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("ineligible_from", Date),
    Column("services", JSON, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
)
"""Replica of ``atr.providers.v1``: who may be selected (eligible providers only); a
provider ineligible next fiscal year stays eligible until ``ineligible_from``."""

client_attributes = Table(
    "client_attributes",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("attributes", JSON, nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("assessment_id", String(64), nullable=False),
)
"""Replica of the latest ``ClientAssessed`` per client: the attributes (referrals) a
voucher's services may need when it is issued (seed 001 Recovery Home)."""

offered_choice_lists = Table(
    "offered_choice_lists",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("service_code", String(64), primary_key=True),
    Column("offer_id", String(36), nullable=False),
    Column("provider_ids", JSON, nullable=False),
    Column("choice_exception_id", String(36)),
    Column("offered_at", DateTime(timezone=True), nullable=False),
)
"""Replica of ``ChoiceListOffered``: the latest choice list offered to each client for
each service; a selection must be on it (seed 003 App. E §4(2))."""
