"""Events on ``atr.providers.v1`` (compacted, keyed by ``provider_id``).

Every event carries the provider's full snapshot, so the latest record per key is all a
consumer needs (state transfer). No PHI: organisations, ids, codes and credentials only;
staff are identified by id, never by personal name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event, EventData

BackgroundCheckOutcome = Literal["passed", "failed", "pending"]
"""What a staff member's background check found (seed 002 Qualifications §2)."""


class CredentialExpiry(EventData):
    """The last day a staff member's credential is current (seed 002 §3a)."""

    credential: str = Field(examples=["CADC"])
    current_until: date = Field(examples=["2027-06-30"])


class Experience(EventData):
    """Months of a staff member's experience with a population or in a service (seed 002
    §3b "experience with the target population", §3e "providing the recovery support
    service")."""

    area: str = Field(
        description="A target population (`substance_use_disorders`) or a service code.",
        examples=["substance_use_disorders"],
    )
    months: int = Field(ge=0, examples=[14])


class StaffSnapshot(EventData):
    """A provider's staff member as claims adjudication needs it (SPEC §3.2)."""

    staff_id: str = Field(description="Provider-scoped staff id.", examples=["STF-17"])
    credentials: list[str] = Field(
        default_factory=list,
        description="Credential codes, e.g. `ordained_minister`, `CADC`, `LPC`.",
        examples=[["addictions_academy_graduate", "ordained_minister"]],
    )
    months_experience: int = Field(default=0, ge=0, examples=[24])
    supervised: bool = Field(default=False, description="Works under clinical supervision.")
    background_check_date: date | None = Field(
        default=None, description="Date of the last background check (needed to serve minors)."
    )
    background_check_outcome: BackgroundCheckOutcome | None = Field(
        default=None,
        description="Outcome of that check: only a `passed` check dated on or before the "
        'service date lets the staff member serve a minor (seed 002 Qualifications §2 "must '
        'successfully pass a DHW background check *prior to* the delivery of services").',
    )
    credential_expiry: list[CredentialExpiry] = Field(
        default_factory=list,
        description="The last day each listed credential is current: on a later service "
        'date it does not qualify (seed 002 Qualifications §3a "must have current '
        'certification"). A credential not listed does not expire, unless the '
        "qualification asks for a current one.",
    )
    experience: list[Experience] = Field(
        default_factory=list,
        description="Months of experience by what it was with: a target population or a "
        'service code (seed 002 Qualifications §3b "twelve (12) months experience with the '
        'target population", §3e "two years of providing the recovery support service the '
        'individual wishes to deliver").',
    )


class ProviderSnapshot(EventData):
    """The whole provider record at the time of the event."""

    provider_id: str = Field(examples=["PRV-0001"])
    name: str = Field(description="Organisation name.", examples=["Hope Recovery Center"])
    services: list[str] = Field(examples=[["RECOVERY_MENTORING_IND"]])
    counties: list[str] = Field(examples=[["Boone"]])
    faith_based: bool = Field(examples=[True])
    religious_affiliation: str | None = Field(default=None, examples=["Methodist"])
    status: Literal["active", "suspended", "ineligible_next_fiscal_year"] = Field(
        description="Only `active` providers receive vouchers and admissions; one "
        "`ineligible_next_fiscal_year` does until `ineligible_from`."
    )
    ineligible_from: date | None = Field(
        default=None,
        description="With `ineligible_next_fiscal_year`: the first day of the next fiscal "
        "year after the decision, from which the provider is ineligible (seed 003 App. E "
        '§6: "declared these four providers ineligible for the voucher program for the '
        'next year"). Services before it are those of an eligible provider.',
        examples=["2027-07-01"],
    )
    staff: list[StaffSnapshot] = Field(default_factory=list)


class ProviderRegistered(Event):
    """A provider joined the network (SPEC §3.2)."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.provider.registered"] = "atr.provider.registered"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ProviderSnapshot


class ProviderUpdated(Event):
    """A provider's record changed: status, services, counties or staff."""

    versioned: ClassVar[bool] = True

    type: Literal["atr.provider.updated"] = "atr.provider.updated"
    source: str = "/atr/eligibility"
    schemaversion: Literal[1] = 1
    data: ProviderSnapshot


ProviderEvent = Annotated[ProviderRegistered | ProviderUpdated, Field(discriminator="type")]
"""Any event on ``atr.providers.v1``."""
