"""API token administration (SPEC §4 roles): created, listed and revoked by an admin.

Scopes narrow a token within its role: ``atr:read`` permits reading (``GET``),
``atr:write`` every other method; a token without scopes may do all its role may.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Contract
from contracts.fields import Id, NoControlCharacters

TokenScope = Literal["atr:read", "atr:write"]
"""A token scope: ``atr:read`` (GET, HEAD) or ``atr:write`` (POST, PATCH, PUT, DELETE)."""


class CreateToken(Contract):
    """``POST /v1/tokens``: an admin grants a token for one role (provider tokens: one provider)."""

    role: Literal["admin", "assessor", "provider", "doc_thu", "state_system"]
    provider_id: Id | None = Field(
        default=None, description="Required for, and only for, provider tokens."
    )
    organisation_id: Id | None = Field(
        default=None,
        description="The assessor's organisation (provider id), used to flag self-referrals.",
    )
    label: Annotated[str, Field(max_length=200), NoControlCharacters] | None = Field(
        default=None, examples=["Hope EHR production"]
    )
    scopes: list[TokenScope] | None = Field(
        default=None,
        min_length=1,
        description="What the token may do within its role; omitted: everything the role may do.",
        examples=[["atr:read"]],
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the token stops working (in the future, with a UTC offset); "
        "omitted: never.",
        examples=["2027-06-30T23:59:59Z"],
    )


class TokenCreated(Contract):
    """The new token: shown once, stored only as a keyed hash."""

    token_id: str
    token: str
    role: str
    provider_id: str | None = None
    scopes: list[TokenScope] | None = None
    expires_at: AwareDatetime | None = None


class TokenSummary(Contract):
    """One token as an admin sees it: never its value or hash."""

    token_id: str
    role: str
    provider_id: str | None = None
    organisation_id: str | None = None
    label: str | None = None
    scopes: list[TokenScope] | None = Field(
        default=None, description="None: everything the role may do."
    )
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(default=None, description="None: never expires.")
    revoked_at: AwareDatetime | None = None
    state: Literal["active", "expired", "revoked"]


class TokenList(Contract):
    """``GET /v1/tokens``: the platform's opaque tokens, oldest first."""

    tokens: list[TokenSummary]
