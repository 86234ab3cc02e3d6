"""API token administration (SPEC §4 roles): created and revoked by an admin."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Contract
from contracts.fields import Id, NoControlCharacters


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


class TokenCreated(Contract):
    """The new token: shown once, stored only as a keyed hash."""

    token_id: str
    token: str
    role: str
    provider_id: str | None = None
