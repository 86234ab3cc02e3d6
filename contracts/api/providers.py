"""Provider registry commands (SPEC §3.2, §4 "provider registry")."""

from __future__ import annotations

from pydantic import Field

from contracts.envelope import Contract


class RegisterProvider(Contract):
    """``POST /v1/providers``: an admin registers a provider organisation."""

    name: str = Field(min_length=1, max_length=200, examples=["Hope Recovery Center"])
    services: list[str] = Field(
        min_length=1,
        description="Service codes of the active program this provider offers.",
        examples=[["RECOVERY_MENTORING_IND", "TRANSPORT_MILEAGE"]],
    )
    counties: list[str] = Field(min_length=1, examples=[["Boone", "Cole"]])
    faith_based: bool = Field(default=False)
    religious_affiliation: str | None = Field(default=None, examples=["Methodist"])
    provider_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Optional state-assigned id; generated when omitted.",
        examples=["PRV-0001"],
    )
