"""``atr program explain <SERVICE_CODE>``: the rules a catalog applies to one service,
each with its citation (SPEC §3.4: "each rule citing its seed section"), so an auditor
can read the seed beside the decision."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from programs.catalog import Catalog, Rule, Service

PAIRED_SOURCES: dict[str, tuple[str, ...]] = {
    "group_source": ("group_min", "group_max", "group_participants"),
    "status_source": ("eligible_statuses", "excluded_statuses"),
    "attributes_source": ("requires_attributes",),
    "voucher_attributes_source": ("voucher_requires_attributes",),
    "documentation_source": ("documentation",),
    "voucher_roles_source": ("voucher_roles",),
}
"""Rules kept as plain fields with a ``*_source`` citation beside them."""


def _terms(rule: BaseModel) -> str:
    """A rule's own terms, ``name=value``, without its citation or unset defaults."""
    values = rule.model_dump(mode="json", exclude={"source"}, exclude_defaults=True)
    return ", ".join(f"{name}={_plain(value)}" for name, value in values.items())


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def rules_of(service: Service) -> list[tuple[str, str, str]]:
    """(kind, terms, citation) for every rule of ``service``: its price, each catalog
    rule object, and each plain field with its ``*_source``; unset rules are left out."""
    price = f"{service.rate} per {service.unit}" if service.rate is not None else "not priced"
    if service.rate_from_config:
        price = f"configured rate per {service.unit}"
    found: list[tuple[str, str, str]] = [("price", price, service.source)]
    for name in Service.model_fields:
        value = getattr(service, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Rule):
                found.append((name, _terms(item), item.source))
    for source_field, fields in PAIRED_SOURCES.items():
        citation = getattr(service, source_field)
        terms = {
            f: getattr(service, f)
            for f in fields
            if getattr(service, f) and getattr(service, f) != Service.model_fields[f].default
        }
        if citation and terms:
            found.append(
                (
                    source_field.removesuffix("_source"),
                    ", ".join(f"{k}={_plain(v)}" for k, v in terms.items()),
                    citation,
                )
            )
    return found


def explain(catalog: Catalog, code: str) -> str:
    """The text ``atr program explain`` prints: the service, then one paragraph per
    rule with its terms and its citation (and the catalog's credential equivalences its
    qualification uses), then the HCPCS code it is billed under (cited,
    or ``local``) (``KeyError`` for a code the catalog lacks)."""
    service = catalog.service(code)
    lines = [f"{service.code}: {service.name} ({catalog.program}, {catalog.source})", ""]
    for kind, terms, citation in rules_of(service):
        lines.append(f"{kind}: {terms}")
        lines.append(f"    source: {citation}")
    for rule in catalog.equivalences_for(code):
        lines.append(f"credential_equivalents: {_terms(rule)}")
        lines.append(f"    source: {rule.source}")
    if service.hcpcs is not None:
        lines.append(f"hcpcs: {_terms(service.hcpcs)}")
        lines.append(f"    source: {service.hcpcs.source}")
    return "\n".join(lines) + "\n"
