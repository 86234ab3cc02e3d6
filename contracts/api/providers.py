"""Provider registry commands (SPEC §3.2, §4 "provider registry")."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator

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


class UpdateProvider(Contract):
    """``PATCH /v1/providers/{id}``: status, services, counties or faith details (admin)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    services: list[str] | None = Field(default=None, min_length=1)
    counties: list[str] | None = Field(default=None, min_length=1)
    faith_based: bool | None = None
    religious_affiliation: str | None = None
    status: Literal["active", "suspended", "ineligible_next_fiscal_year"] | None = Field(
        default=None, description="Suspending removes the provider from choice lists."
    )

    @field_validator("name", "services", "counties", "faith_based", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Omit a field to leave it unchanged; ``null`` may only clear the religious
        affiliation (every other field is required on the provider's record). Runs only
        on fields the body gives."""
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value


class AddStaff(Contract):
    """``POST /v1/providers/{id}/staff``: a staff member's credentials (no personal name)."""

    staff_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", examples=["STF-17"])
    credentials: list[str] = Field(
        default_factory=list, examples=[["addictions_academy_graduate", "ordained_minister"]]
    )
    months_experience: int = Field(default=0, ge=0, le=1200)
    supervised: bool = False
    background_check_date: date | None = None
