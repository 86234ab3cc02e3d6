"""The eligibility service's tables: providers, and clients with their eligibility,
assessments, treatment status, GPRA interviews, drug tests, consents, disclosures,
religious objections and choice exceptions (SPEC §3.1, §3.2)."""

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
    String,
    Table,
    UniqueConstraint,
)

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
    Column("ineligible_from", Date),
    Column("staff", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- clients (SPEC §3.1): identity and PHI stay in this database only ----------------

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(32), primary_key=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("name_key", String(220), nullable=False, index=True),
    Column("date_of_birth", Date, nullable=False),
    Column("ssn_key", String(64), index=True),
    Column("ssn_last4", String(4)),
    Column("county", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

identity_reviews = Table(
    "identity_reviews",
    metadata,
    Column("review_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("matched_client_id", String(32), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

eligibility_determinations = Table(
    "eligibility_determinations",
    metadata,
    Column("determination_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("inputs", JSON, nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("determined_on", Date, nullable=False),
    Column("determined_by", String(64), nullable=False),
    Column("organisation_id", String(64)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False),
    Column("case_number", Integer, nullable=False),
    Column("instrument", String(40), nullable=False),
    Column("scores", JSON, nullable=False),
    Column("screenings", JSON, nullable=False),
    Column("diagnosis", String(20), nullable=False),
    Column("level_of_care", String(60), nullable=False),
    Column("treatment_status", String(30), nullable=False),
    Column("authorized_services", JSON, nullable=False),
    Column("max_value", Numeric(12, 2)),
    Column("attributes", JSON, nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("religious_objection_notice_given_at", DateTime(timezone=True)),
    Column("assessed_by", String(64), nullable=False),
    Column("organisation_id", String(64)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("client_id", "case_number", name="uq_assessments_client_case"),
)

treatment_statuses = Table(
    "treatment_statuses",
    metadata,
    Column("status_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("treatment_status", String(30), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("provider_id", String(64)),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

gpra_interviews = Table(
    "gpra_interviews",
    metadata,
    Column("interview_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("conducted_on", Date, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("provider_id", String(64)),
    Column("answers", JSON, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

drug_tests = Table(
    "drug_tests",
    metadata,
    Column("test_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("tested_on", Date, nullable=False),
    Column("random", Boolean, nullable=False),
    Column("result", String(20), nullable=False),
    Column("provider_id", String(64)),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("consent_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("provider_id", String(64), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("expires_on", Date),
    Column("revoked_on", Date),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

disclosures = Table(
    "disclosures",
    metadata,
    Column("disclosure_id", String(36), primary_key=True),
    Column("client_id", String(32), nullable=False, index=True),
    Column("provider_id", String(64)),
    Column("token_id", String(64)),
    Column("what", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("consent_id", String(36)),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
)

religious_objections = Table(
    "religious_objections",
    metadata,
    Column("client_id", String(32), primary_key=True),
    Column("provider_ids", JSON, nullable=False),
    Column("affiliations", JSON, nullable=False),
    Column("all_faith_based", Boolean, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

choice_exceptions = Table(
    "choice_exceptions",
    metadata,
    Column("exception_id", String(36), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("service_code", String(64), nullable=False),
    Column("county", String(100)),
    Column("shortfalls", JSON, nullable=False),
    Column("offered", JSON, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("organisation_id", String(64)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

choice_lists_offered = Table(
    "choice_lists_offered",
    metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("service_code", String(64), nullable=False),
    Column("county", String(100)),
    Column("provider_ids", JSON, nullable=False),
    Column("choice_exception_id", String(36)),
    Column("offered_by", String(64), nullable=False),
    Column("organisation_id", String(64)),
    Column("offered_at", DateTime(timezone=True), nullable=False),
)
"""Every choice list an assessor offered a client (seed 003 App. E §4(2)): which
providers, in order, and the choice exception recorded with it, if any."""
