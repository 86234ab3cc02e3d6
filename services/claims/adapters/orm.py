"""The claims service's tables: replicas of the facts adjudication needs."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Table,
    Time,
    literal_column,
    text,
)

from services.kit.schema import add_kit_tables

metadata = MetaData()

provider_replica = Table(
    "provider_replica",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("services", JSON, nullable=False),
    Column("staff", JSON, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("status_history", JSON, nullable=False, default=list),
)
"""The registry's latest snapshot of each provider; ``status_history`` lists
``[first day, status]`` each time the status changed (claims are decided on the status
of their service date)."""

claims = Table(
    "claims",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("claim_id", String(64), nullable=False, unique=True),
    Column("claim_ref", String(64), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False, index=True),
    Column("voucher_id", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("status", String(24), nullable=False),
    Column("billed_units", Integer, nullable=False),
    Column("allowed_units", Integer, nullable=False),
    Column("denied_units", Integer, nullable=False),
    Column("unit_rate", Numeric(12, 2)),
    Column("allowed_amount", Numeric(12, 2), nullable=False),
    Column("denied_amount", Numeric(12, 2), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("start_time", Time),
    Column("end_time", Time),
    Column("miles", Numeric(8, 2)),
    Column("pass_type", String(16)),
    Column("activity", String(64)),
    Column("face_to_face", Boolean),
    Column("trip_authorization", String(64)),
    Column("missed_appointment_on", Date),
    Column("service_date_to", Date),
    Column("allowed_days", JSON),
    Column("line", JSON, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_seq", BigInteger().with_variant(Integer, "sqlite")),
    Column("changed_in", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
"""Every claim line the workers received, its status and decision.

The history columns (times, miles, pass type, activity, face to face, trip
authorization, the missed appointment a re-engagement contact follows, and the days
allowed of a date-range line, ``allowed_days``) are what
the rule engine reads of earlier lines; ``service_date_to`` ends a date-range line;
``line`` keeps the whole submission.
``seq`` is the order lines were received in (per client, the submission order);
``decision_seq`` numbers decisions, increasing in each client's decision order
(:data:`DECISION_SEQ` on PostgreSQL). ``status`` is ``pending`` while the
line waits for voucher state (SPEC §3.4 event lag), then the outcome.

``changed_in`` is the number of the transaction that last wrote the row (stored,
decided or corrected; :func:`services.claims.adapters.claim_feed.change_number`) and
``updated_at`` when; the claims list (``GET /v1/claims``) reads lines in
(``changed_in``, ``claim_id``) order (:mod:`services.claims.adapters.claim_feed`).

Indexes are what the queries use and no more (each is a B-tree insert per line inside
the writers' transaction): ``claim_id``, ``client_id`` (histories) and
``ix_claims_pending``, a partial index of
the pending lines that decided lines never enter. Queries on it say
:data:`IS_PENDING`, whose literal lets SQLite prove the partial index applies.
``ix_claims_changes`` and ``ix_claims_provider_changes`` serve the claims list (all
lines, and one provider's); a write appends at their right edge (its transaction number
is the highest), a page or so per provider, not a scattered insert per line.
"""

IS_PENDING = claims.c.status == literal_column("'pending'")
"""``status = 'pending'`` with the literal inline (matches ``ix_claims_pending``)."""

Index(
    "ix_claims_pending",
    claims.c.client_id,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)

Index("ix_claims_changes", claims.c.changed_in, claims.c.claim_id)
Index("ix_claims_provider_changes", claims.c.provider_id, claims.c.changed_in, claims.c.claim_id)

DECISION_SEQ = Sequence("claims_decision_seq", metadata=metadata)
"""PostgreSQL: where decision numbers come from (SQLite, single-writer, counts on)."""

client_heads = Table(
    "client_heads",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
"""Per client, how many writes stored or decided its lines. A write locks its clients'
rows (in id order) and bumps them: two workers writing one client queue there, and a
worker whose batch was read at older versions decides it again (optimistic,
per client). The history cache keeps each client's lines at a version."""

voucher_replica = Table(
    "voucher_replica",
    metadata,
    Column("voucher_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
)
"""Latest ``atr.vouchers.v1`` snapshot per voucher (highest version wins)."""

client_replica = Table(
    "client_replica",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("eligible", Boolean),
    Column("minor", Boolean, nullable=False),
    Column("turns_18_in", Integer),
    Column("reviewed", JSON),
    Column("statuses", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
)
"""What adjudication needs about a client from ``atr.clients.v1`` (no PHI), and the
reviews of documented unusual circumstances the administrative agency recorded here
(``reviewed``: a JSON list of {service_date, service_code, record_reference,
reviewed_by, recorded_at}; seed 004 (A)2), which events never change."""

subject_versions = add_kit_tables(metadata).subject_versions
"""How many versioned facts the replicas applied per topic and subject (the kit table;
the fence compares it with the owners', services.claims.service_layer.fence)."""

claim_corrections = Table(
    "claim_corrections",
    metadata,
    Column("correction_id", String(36), primary_key=True),
    Column("claim_id", String(64), nullable=False, index=True),
    Column("previous_billed_units", Integer, nullable=False),
    Column("previous_allowed_units", Integer, nullable=False),
    Column("previous_allowed_amount", Numeric(12, 2), nullable=False),
    Column("billed_units", Integer, nullable=False),
    Column("allowed_units", Integer, nullable=False),
    Column("allowed_amount", Numeric(12, 2), nullable=False),
    Column("reason", String(64)),
    Column("corrected_by", String(64)),
    Column("corrected_at", DateTime(timezone=True), nullable=False),
)
"""Every correction of a decided line, before and after (the ``claims`` row holds the
line as it now stands): what an auditor reads to see money changed after the fact."""
