"""Provider registry commands (SPEC §3.2, §4 "provider registry")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from contracts.api import Answer
from contracts.envelope import Contract
from contracts.fields import Code, NoControlCharacters, RecordDate
from contracts.providers import BackgroundCheckOutcome

OrganisationName = Annotated[str, Field(min_length=1, max_length=200), NoControlCharacters]
Place = Annotated[str, Field(min_length=1, max_length=100), NoControlCharacters]
"""A county or a religious affiliation as typed (``St. Louis``, ``Methodist``)."""
Months = Annotated[int, Field(ge=0, le=1200)]
"""Months of a staff member's experience."""


class RegisterProvider(Contract):
    """``POST /v1/providers``: an admin registers a provider organisation."""

    name: OrganisationName = Field(examples=["Hope Recovery Center"])
    services: list[Code] = Field(
        min_length=1,
        max_length=200,
        description="Service codes of the active program this provider offers.",
        examples=[["RECOVERY_MENTORING_IND", "TRANSPORT_MILEAGE"]],
    )
    counties: list[Place] = Field(min_length=1, max_length=300, examples=[["Boone", "Cole"]])
    faith_based: bool = Field(default=False)
    religious_affiliation: Place | None = Field(default=None, examples=["Methodist"])
    provider_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Optional state-assigned id; generated when omitted.",
        examples=["PRV-0001"],
    )


class UpdateProvider(Contract):
    """``PATCH /v1/providers/{id}``: status, services, counties or faith details (admin)."""

    name: OrganisationName | None = None
    services: list[Code] | None = Field(default=None, min_length=1, max_length=200)
    counties: list[Place] | None = Field(default=None, min_length=1, max_length=300)
    faith_based: bool | None = None
    religious_affiliation: Place | None = None
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


class StaffCredentialExpiry(Contract):
    """The last day a staff member's credential is current (seed 002 §3a)."""

    credential: Code = Field(examples=["CADC"])
    current_until: RecordDate = Field(examples=["2027-06-30"])


class StaffExperience(Contract):
    """Months of experience with a target population or in a service (seed 002 §3b, §3e)."""

    area: Code = Field(examples=["substance_use_disorders"])
    months: Months = Field(examples=[14])


class AddStaff(Contract):
    """``POST /v1/providers/{id}/staff``: a staff member's credentials (no personal name)."""

    staff_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", examples=["STF-17"])
    credentials: list[Code] = Field(
        default_factory=list,
        max_length=50,
        examples=[["addictions_academy_graduate", "ordained_minister"]],
    )
    months_experience: int = Field(default=0, ge=0, le=1200)
    supervised: bool = False
    background_check_date: RecordDate | None = None
    background_check_outcome: BackgroundCheckOutcome | None = Field(
        default=None,
        description='Outcome of the check (seed 002 Qualifications §2 "must successfully '
        'pass a DHW background check *prior to* the delivery of services").',
    )
    credential_expiry: list[StaffCredentialExpiry] = Field(
        default_factory=list,
        max_length=50,
        description="The last day each listed credential is current (seed 002 "
        'Qualifications §3a "current certification"); each is one of `credentials`, once.',
    )
    experience: list[StaffExperience] = Field(
        default_factory=list,
        max_length=50,
        description="Months of experience by target population or service code (seed 002 "
        'Qualifications §3b "experience with the target population", §3e "providing the '
        'recovery support service the individual wishes to deliver"), each area once.',
    )

    @model_validator(mode="after")
    def _expiry_of_held_credentials(self) -> AddStaff:
        """An expiry is recorded once, for a credential the staff member holds; each
        experience area once."""
        named = [term.credential for term in self.credential_expiry]
        stray = sorted(set(named) - set(self.credentials))
        if stray:
            raise ValueError(f"credential_expiry names credentials not held: {stray}")
        areas = [item.area for item in self.experience]
        if len(set(named)) != len(named) or len(set(areas)) != len(areas):
            raise ValueError("a credential's expiry, or an experience area, is given twice")
        return self


class DirectoryEntry(Answer):
    """``GET /v1/providers``: one active provider in the public directory (no staff)."""

    provider_id: str = Field(examples=["PRV-0001"])
    name: str = Field(examples=["Hope Recovery Center"])
    services: list[str] = Field(examples=[["RECOVERY_MENTORING_IND"]])
    counties: list[str] = Field(examples=[["Boone"]])
    faith_based: bool = Field(examples=[False])
    religious_affiliation: str | None = Field(default=None, examples=["Methodist"])
