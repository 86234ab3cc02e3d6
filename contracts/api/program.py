"""``GET /v1/program``: the active program's vocabulary (SPEC §4 "the active program's
services, rates, limits, credentials"), from its catalog (SPEC §3.4: rules are data,
each citing its seed section)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from contracts.api import Answer


class ServiceRule(Answer):
    """One rule the catalog applies to a service, as ``atr program explain`` prints it."""

    kind: str = Field(
        description="price, limits, conflicts, qualification, group, status, ...",
        examples=["limits"],
    )
    terms: str = Field(description="The rule's own terms.", examples=["per=week, units=16"])
    source: str = Field(
        description="The seed file and section the rule encodes.",
        examples=["seed 000 §3 Recovery Mentoring"],
    )


class ProgramHcpcs(Answer):
    """The HCPCS procedure code and modifiers a service's lines are billed under."""

    code: str = Field(examples=["H0038"])
    modifiers: list[str] = Field(examples=[["HQ"]])
    source: str = Field(
        description='The seed file and section that gives the code, or "local" (the '
        "program's own mapping: no seed gives one).",
        examples=["local"],
    )
    description: str | None = Field(
        default=None,
        description="The HCPCS descriptor the code was chosen for.",
        examples=["self-help/peer services, per 15 minutes"],
    )


class ProgramService(Answer):
    """A billable service: its code and name, how it is billed, and every rule on it."""

    code: str = Field(examples=["RECOVERY_MENTORING_IND"])
    name: str = Field(examples=["Recovery mentoring (individual)"])
    mode: str = Field(description="individual, group or either.", examples=["individual"])
    unit: str = Field(
        description="15_minutes, hour, day, mile, pass or session.", examples=["15_minutes"]
    )
    rate: Decimal | None = Field(
        description="Dollars per unit; null while the state has not priced it (no voucher "
        "can carry it).",
        examples=["12.50"],
    )
    source: str = Field(description="Where the service and its price come from.")
    hcpcs: ProgramHcpcs | None = Field(
        default=None,
        description="The HCPCS code a line's `procedure_code` must equal (null: unmapped).",
    )
    rules: list[ServiceRule] = Field(
        description="Price, limits and conditions in words, each with its citation."
    )


class ProgramCredential(Answer):
    """A staff credential the program's qualification rules name: what
    ``POST /v1/providers/{id}/staff`` accepts."""

    code: str = Field(examples=["addictions_academy_graduate"])
    services: list[str] = Field(
        description="Services a qualification option of which names it.",
        examples=[["RECOVERY_MENTORING_IND"]],
    )


class ProgramActivity(Answer):
    """An activity code a claim line may name (``activity``)."""

    code: str = Field(examples=["care_coordination"])
    billable: bool = Field(description="False: a line with it is never paid.")
    services: list[str] = Field(description="Services whose lines name it.")


class Program(Answer):
    """The active program (``ATR_PROGRAM``) as its catalog defines it."""

    program: str = Field(examples=["missouri_atr2"])
    name: str = Field(examples=["Missouri Access to Recovery 2"])
    source: str = Field(description="The seeds the catalog encodes.")
    earliest_service_date: date = Field(description="No line may be dated before it.")
    timely_filing_days: int = Field(
        default=365,
        description="A line submitted more than this many days after its service date is "
        "denied `TIMELY_FILING`.",
    )
    timely_filing_source: str | None = Field(
        default=None, description="Where the filing limit comes from."
    )
    services: list[ProgramService]
    credentials: list[ProgramCredential]
    activities: list[ProgramActivity]
