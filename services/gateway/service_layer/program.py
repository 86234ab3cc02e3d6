"""The active program as ``GET /v1/program`` shows it: the catalog mapped to its answer
(rules in words with citations by :func:`programs.explain.rules_of`)."""

from __future__ import annotations

from contracts.api.program import (
    Program,
    ProgramActivity,
    ProgramCredential,
    ProgramHcpcs,
    ProgramService,
    ServiceRule,
)
from programs.catalog import Catalog
from programs.explain import rules_of


def program_view(catalog: Catalog) -> Program:
    """The catalog's services (codes, names, units, rates, mode, HCPCS code and
    modifiers, every rule with its citation), the timely filing limit, and the staff
    credentials and activities it knows (SPEC §4)."""
    return Program(
        program=catalog.program,
        name=catalog.name,
        source=catalog.source,
        earliest_service_date=catalog.earliest_service_date,
        timely_filing_days=catalog.timely_filing_days,
        timely_filing_source=catalog.timely_filing_source,
        services=[
            ProgramService(
                code=service.code,
                name=service.name,
                mode=service.mode,
                unit=service.unit,
                rate=service.rate,
                source=service.source,
                hcpcs=(
                    None
                    if service.hcpcs is None
                    else ProgramHcpcs.model_validate(service.hcpcs.model_dump())
                ),
                rules=[
                    ServiceRule(kind=kind, terms=terms, source=source)
                    for kind, terms, source in rules_of(service)
                ],
            )
            for service in catalog.services.values()
        ],
        credentials=[
            ProgramCredential(code=code, services=services)
            for code, services in catalog.credentials().items()
        ],
        activities=[
            ProgramActivity(code=code, billable=billable, services=services)
            for code, (billable, services) in catalog.activities().items()
        ],
    )
