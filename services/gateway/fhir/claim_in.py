"""FHIR ``Claim`` → the claim lines ``POST /v1/claims`` accepts (SPEC §3.4 fields).

One FHIR Claim is one or more lines, one per ``item``; each line goes through the same
intake as the JSON API (its checks, its idempotency on ``provider_id`` + ``claim_ref``).

Where each line field comes from:

- ``claim_ref``: ``Claim.identifier[0].value``; with several items, that value, ``:``
  and the item's ``sequence`` (``EHR-123:2``). A one-item Claim's line thus has the
  provider's reference itself: the same line posted as JSON or FHIR is one claim.
- ``provider_id``: ``Claim.provider`` = ``Organization/<provider_id>``; its
  ``identifier`` (system us-npi) is the billing NPI.
- ``client_id``: ``Claim.patient`` = ``Patient/<client_id>`` (our client id, never a
  name).
- ``voucher_id``: ``preAuthRef[0]`` of the focal ``Claim.insurance`` (the first when none
  is focal): the voucher is the prior authorization the line is billed against.
- ``service_code``: ``item.productOrService`` coded in the program's own service-code
  system, or else its HCPCS code (with ``item.modifier``) resolved through the catalog's
  ``hcpcs`` of each service; the HCPCS code and modifiers are kept as
  ``procedure_code`` and ``modifiers``.
- ``service_date``: ``item.servicedDate``; ``units``: ``item.quantity.value`` (whole).
  A per-diem stay may give ``item.servicedPeriod`` instead: its start is
  ``service_date``, its end (another day) ``service_date_to``, one unit a day.
- ``staff_id``: the ``careTeam`` member ``item.careTeamSequence[0]`` names (or the only
  one), ``Practitioner/<staff_id>``; its NPI identifier is the rendering NPI.
- ``diagnosis_codes``: the ICD-10-CM codes of ``item.diagnosisSequence`` (all of the
  Claim's diagnoses when the item names none).
- ``place_of_service``: ``item.locationCodeableConcept`` in the CMS place-of-service set.
- Times, signature, face to face, group size, mileage, pass, activity and trip
  authorization: ``item``
  extensions :data:`services.gateway.fhir.systems.LINE_EXTENSION` ``<field>``.

Every refusal names the FHIR element at fault, ``["body", ...]`` as FastAPI's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.claim import Claim, ClaimItem
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError

from contracts.claims import SubmitClaim
from programs.catalog import Catalog
from services.gateway.fhir import systems

Loc = tuple[str | int, ...]

GROUP_SEPARATOR = ":"
"""Between a multi-item Claim's identifier and an item's sequence in its lines'
``claim_ref``."""

LINE_FIELDS = frozenset(
    {
        "start_time",
        "end_time",
        "client_signature",
        "face_to_face",
        "group_size",
        "miles",
        "pass_type",
        "pass_serial",
        "pass_price",
        "activity",
        "trip_authorization",
        "missed_appointment_on",
        "documented_purpose",
    }
)
"""Line fields an ``item`` extension may carry (``claim-line-<field>``, ``-`` for ``_``)."""

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class FhirClaimError(Exception):
    """A Claim that is not valid FHIR or cannot be mapped onto claim lines (HTTP 422);
    ``errors`` in FastAPI's shape, each naming the element at fault."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid element(s)")
        self.errors = errors


def _error(loc: Loc, msg: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": ("body", *loc), "msg": msg, "type": type_}


@dataclass(frozen=True)
class MappedLine:
    """One item as a claim line, with the element each line field came from (so a
    refusal of the line names the FHIR element)."""

    line: SubmitClaim
    sequence: int
    sources: dict[str, Loc] = field(default_factory=dict)

    def locate(self, line_field: str) -> Loc:
        """The FHIR element ``line_field`` was read from (the item when unknown)."""
        return _locate(self.sources, line_field)


def _locate(sources: dict[str, Loc], line_field: str) -> Loc:
    return ("body", *sources.get(line_field, ("item",)))


def parse_claim(raw: bytes) -> Claim:
    """The body as a FHIR R4 Claim, validated by ``fhir.resources``; 422 errors naming
    the element otherwise (never the submitted value)."""
    try:
        document = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise FhirClaimError(
            [{"loc": ("body",), "msg": "the body is not JSON", "type": "json_invalid"}]
        ) from None
    if not isinstance(document, dict):
        raise FhirClaimError([_error((), "must be a FHIR Claim resource (a JSON object)")])
    if document.get("resourceType") != "Claim":
        raise FhirClaimError([_error(("resourceType",), "must be Claim")])
    try:
        return Claim.model_validate(document)
    except RecursionError:
        raise FhirClaimError([_error((), "nested too deeply")]) from None
    except ValidationError as exc:
        raise FhirClaimError(
            [
                {
                    "loc": ("body", *error.get("loc", ())),
                    "msg": str(error.get("msg", "invalid")),
                    "type": str(error.get("type", "value_error")),
                }
                for error in exc.errors()
            ]
        ) from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _local_id(reference: Reference | None, kind: str) -> str | None:
    """``<id>`` of a ``<kind>/<id>`` reference, or None."""
    if reference is None or not reference.reference:
        return None
    prefix, _, local = str(reference.reference).partition("/")
    return local if prefix == kind and _ID.match(local) else None


def _number(sequence: int | None) -> int:
    """A sequence number as given (0 for one left out: FHIR's are from 1)."""
    return int(sequence) if sequence is not None else 0


def _npi_of(reference: Reference | None) -> str | None:
    identifier = reference.identifier if reference is not None else None
    if identifier is not None and identifier.system == systems.NPI and identifier.value:
        return str(identifier.value)
    return None


def _codes(concept: CodeableConcept | None, system: str) -> list[str]:
    return [
        str(coding.code)
        for coding in (concept.coding or [] if concept is not None else [])
        if coding.system == system and coding.code
    ]


def resolve_service(
    catalog: Catalog, code: str, modifiers: Sequence[str]
) -> tuple[str | None, str | None]:
    """The catalog service billed under HCPCS ``code`` with ``modifiers``:
    ``(service_code, None)``, or ``(None, why)`` when none or several are.

    A service matches when its HCPCS code is ``code`` and every modifier of its
    ``hcpcs`` is among ``modifiers`` (an EHR may add others); of those, the one whose
    modifiers match most wins (``H0038`` + ``HQ`` is the group service, not the
    individual one). A tie is ambiguous: the service-code system then names it."""
    given = set(modifiers)
    matches = [
        (len(service.hcpcs.modifiers), service.code)
        for service in catalog.services.values()
        if service.hcpcs is not None
        and service.hcpcs.code == code
        and set(service.hcpcs.modifiers) <= given
    ]
    if not matches:
        return None, f"no service of {catalog.program} is billed under HCPCS {code}"
    best = max(count for count, _ in matches)
    chosen = sorted(service for count, service in matches if count == best)
    if len(chosen) > 1:
        return None, (
            f"HCPCS {code} with these modifiers is billed for several services "
            f"({', '.join(chosen)}): name the service in {systems.SERVICE_CODE}"
        )
    return chosen[0], None


@dataclass
class _Claim:
    """What every line of the Claim shares, with the errors found reading it."""

    claim_ref: str | None = None
    provider_id: str | None = None
    client_id: str | None = None
    voucher_id: str | None = None
    billing_npi: str | None = None
    voucher_loc: Loc = ("insurance",)
    diagnoses: dict[int, str] = field(default_factory=dict)
    care_team: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _header(claim: Claim) -> _Claim:
    shared = _Claim()
    if claim.status != "active":
        shared.errors.append(_error(("status",), "must be active"))
    if claim.use != "claim":
        shared.errors.append(_error(("use",), "must be claim (no preauthorization here)"))
    identifiers = [i for i in claim.identifier or [] if i.value]
    if not identifiers:
        shared.errors.append(_error(("identifier",), "give the claim's reference as a value"))
    else:
        shared.claim_ref = str(identifiers[0].value)
    shared.provider_id = _local_id(claim.provider, "Organization")
    if shared.provider_id is None:
        shared.errors.append(
            _error(("provider", "reference"), "must be Organization/<provider_id>")
        )
    shared.billing_npi = _npi_of(claim.provider)
    shared.client_id = _local_id(claim.patient, "Patient")
    if shared.client_id is None:
        shared.errors.append(_error(("patient", "reference"), "must be Patient/<client_id>"))
    insurances = list(claim.insurance or [])
    focal = next((i for i, ins in enumerate(insurances) if ins.focal), 0)
    shared.voucher_loc = ("insurance", focal, "preAuthRef")
    refs = [ref for ref in (insurances[focal].preAuthRef or []) if ref] if insurances else []
    if refs:
        shared.voucher_id = str(refs[0])
    else:
        shared.errors.append(_error(shared.voucher_loc, "give the voucher id as preAuthRef"))
    for index, diagnosis in enumerate(claim.diagnosis or []):
        codes = _codes(diagnosis.diagnosisCodeableConcept, systems.ICD10CM)
        if not codes:
            shared.errors.append(
                _error(
                    ("diagnosis", index, "diagnosisCodeableConcept"),
                    f"must be coded in {systems.ICD10CM}",
                )
            )
            continue
        shared.diagnoses[_number(diagnosis.sequence)] = codes[0]
    for index, member in enumerate(claim.careTeam or []):
        staff_id = _local_id(member.provider, "Practitioner")
        if staff_id is None:
            shared.errors.append(
                _error(
                    ("careTeam", index, "provider", "reference"),
                    "must be Practitioner/<staff_id>",
                )
            )
        shared.care_team[_number(member.sequence)] = (staff_id, _npi_of(member.provider))
    return shared


def _item_fields(
    item: ClaimItem, index: int, shared: _Claim, catalog: Catalog, errors: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Loc]]:
    """The line fields of one item and where each came from (errors appended)."""
    at: Loc = ("item", index)
    values: dict[str, Any] = {}
    sources: dict[str, Loc] = {}
    product: Loc = (*at, "productOrService")
    local = _codes(item.productOrService, systems.SERVICE_CODE)
    hcpcs = _codes(item.productOrService, systems.HCPCS)
    modifiers = [str(c.code) for m in item.modifier or [] for c in m.coding or [] if c.code]
    if hcpcs:
        values["procedure_code"] = hcpcs[0]
        sources["procedure_code"] = product
    if modifiers:
        values["modifiers"] = modifiers
        sources["modifiers"] = (*at, "modifier")
    if local:
        values["service_code"] = local[0]
    elif hcpcs:
        service, why = resolve_service(catalog, hcpcs[0], modifiers)
        if service is None:
            errors.append(_error(product, str(why)))
        values["service_code"] = service
    else:
        errors.append(
            _error(product, f"must be coded in {systems.HCPCS} or {systems.SERVICE_CODE}")
        )
    sources["service_code"] = product
    period = item.servicedPeriod
    if item.servicedDate is None and period is not None:
        # a per-diem stay on one item: the period's first and last day
        sources["service_date"] = (*at, "servicedPeriod", "start")
        sources["service_date_to"] = (*at, "servicedPeriod", "end")
        if period.start is None or period.end is None:
            errors.append(_error((*at, "servicedPeriod"), "give both start and end days"))
        else:
            first, last = _day(period.start), _day(period.end)
            values["service_date"] = first
            if last != first:
                values["service_date_to"] = last
    else:
        if item.servicedDate is None:
            errors.append(_error((*at, "servicedDate"), "give the date of service (one per item)"))
        values["service_date"] = item.servicedDate
        sources["service_date"] = (*at, "servicedDate")
    quantity = item.quantity.value if item.quantity is not None else None
    sources["units"] = (*at, "quantity", "value")
    units = Decimal(quantity) if quantity is not None else Decimal("NaN")
    if not units.is_finite() or units != units.to_integral_value():
        errors.append(_error(sources["units"], "give the billed units as a whole number"))
    else:
        values["units"] = int(units)
    team = list(item.careTeamSequence or [])
    sources["staff_id"] = sources["rendering_npi"] = (*at, "careTeamSequence")
    if not team and len(shared.care_team) == 1:
        team = list(shared.care_team)
    member = shared.care_team.get(_number(team[0])) if team else None
    if member is None:
        errors.append(_error(sources["staff_id"], "must name the careTeam member who delivered it"))
    else:
        values["staff_id"], values["rendering_npi"] = member
    if item.diagnosisSequence:
        unknown = [s for s in item.diagnosisSequence if _number(s) not in shared.diagnoses]
        if unknown:
            errors.append(_error((*at, "diagnosisSequence"), "names no Claim.diagnosis"))
        values["diagnosis_codes"] = [
            shared.diagnoses[_number(s)]
            for s in item.diagnosisSequence
            if _number(s) in shared.diagnoses
        ]
        sources["diagnosis_codes"] = (*at, "diagnosisSequence")
    elif shared.diagnoses:
        values["diagnosis_codes"] = [shared.diagnoses[s] for s in sorted(shared.diagnoses)]
        sources["diagnosis_codes"] = ("diagnosis",)
    if item.locationCodeableConcept is not None:
        sources["place_of_service"] = (*at, "locationCodeableConcept")
        places = _codes(item.locationCodeableConcept, systems.PLACE_OF_SERVICE)
        if not places:
            errors.append(
                _error(sources["place_of_service"], f"must be coded in {systems.PLACE_OF_SERVICE}")
            )
        else:
            values["place_of_service"] = places[0]
    for position, extension in enumerate(item.extension or []):
        url = str(extension.url)
        if not url.startswith(systems.LINE_EXTENSION):
            continue  # another profile's extension: not ours to read
        name = url.removeprefix(systems.LINE_EXTENSION).replace("-", "_")
        where: Loc = (*at, "extension", position)
        if name not in LINE_FIELDS:
            errors.append(_error(where, "is not a claim line field"))
            continue
        value = next(
            (
                getattr(extension, attr)
                for attr in type(extension).model_fields
                if attr.startswith("value") and getattr(extension, attr, None) is not None
            ),
            None,
        )
        values[name] = value
        sources[name] = where
    return values, sources


def claim_lines(claim: Claim, catalog: Catalog) -> list[MappedLine]:
    """The Claim's items as claim lines (module docstring: where each field comes from),
    validated as :class:`SubmitClaim`; :class:`FhirClaimError` naming every element
    at fault."""
    shared = _header(claim)
    errors = list(shared.errors)
    items = list(claim.item or [])
    if not items:
        errors.append(_error(("item",), "give at least one item (one per line)"))
    sequences = [_number(item.sequence) for item in items]
    if len(set(sequences)) != len(sequences) or 0 in sequences:
        errors.append(_error(("item",), "each item needs its own sequence"))
    mapped: list[MappedLine] = []
    for index, item in enumerate(items):
        item_errors: list[dict[str, Any]] = []
        values, sources = _item_fields(item, index, shared, catalog, item_errors)
        errors += item_errors
        claim_ref = shared.claim_ref
        if claim_ref is not None and len(items) > 1:
            claim_ref = f"{claim_ref}{GROUP_SEPARATOR}{_number(item.sequence)}"
        sources.update(
            claim_ref=("identifier", 0, "value"),
            provider_id=("provider", "reference"),
            client_id=("patient", "reference"),
            voucher_id=shared.voucher_loc,
            billing_npi=("provider", "identifier"),
        )
        if shared.errors or item_errors:
            continue  # the line cannot be built; its causes are listed already
        body = {
            **values,
            "claim_ref": claim_ref,
            "provider_id": shared.provider_id,
            "client_id": shared.client_id,
            "voucher_id": shared.voucher_id,
            "billing_npi": shared.billing_npi,
        }
        try:
            submitted = SubmitClaim.model_validate(
                {name: value for name, value in body.items() if value is not None}
            )
        except ValidationError as exc:
            for error in exc.errors():
                loc = error.get("loc", ())
                name = str(loc[0]) if loc else ""
                errors.append(
                    {
                        "loc": _locate(sources, name),
                        "msg": str(error.get("msg", "invalid")),
                        "type": str(error.get("type", "value_error")),
                    }
                )
            continue
        mapped.append(MappedLine(submitted, _number(item.sequence), sources))
    if errors:
        raise FhirClaimError(errors)
    return mapped


def located(lines: Sequence[MappedLine], errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Intake errors of a batch (``["body", "claims", i, field]``, as
    :func:`services.gateway.service_layer.claims.service_date_errors` gives them) at
    the FHIR element each line field came from."""
    moved = []
    for error in errors:
        loc = tuple(error["loc"])
        index, name = loc[2], loc[3]
        line = lines[index] if isinstance(index, int) and index < len(lines) else None
        where = line.locate(str(name)) if line is not None else ("body",)
        moved.append({**error, "loc": where})
    return moved


def _day(value: date | datetime) -> date:
    """The day of a FHIR ``date`` or ``dateTime`` (a period's start or end)."""
    return value.date() if isinstance(value, datetime) else value


def group_of(claim_ref: str) -> tuple[str, int]:
    """The Claim identifier and item sequence a line's ``claim_ref`` was made from
    (a ref without ``:<sequence>`` is a one-item Claim's, sequence 1)."""
    base, separator, sequence = claim_ref.rpartition(GROUP_SEPARATOR)
    if separator and base and sequence.isdigit():
        return base, int(sequence)
    return claim_ref, 1
