"""The gateway's own tables: API tokens (hashed) and claim idempotency keys."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

metadata = MetaData()

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("provider_id", String(64)),
    Column("organisation_id", String(64)),
    Column("label", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("scopes", String(100)),
)
"""Bearer tokens, stored as keyed hashes. ``expires_at`` null: never expires; ``scopes``
(space-separated) null: everything the role may do."""

claim_keys = Table(
    "claim_keys",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("claim_ref", String(64), primary_key=True),
    Column("claim_id", String(40), nullable=False, unique=True),
    Column("client_id", String(64), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
"""Idempotency keys of claim submissions: (provider_id, claim_ref) → claim (SPEC §4)."""
