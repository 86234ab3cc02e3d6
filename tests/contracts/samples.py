"""One valid instance of any event model, every field filled, built from its annotations.

Contract tests run over every registered event type (``contracts.registry``); building
the instances from the models means a new event type or field is covered the day it is
added. A field type the builder does not know fails loudly: teach it here.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from contracts.claims import ClaimFrequency
from contracts.envelope import Event

M = TypeVar("M", bound=BaseModel)

ENVELOPE_DEFAULTS = {"specversion", "id", "type", "source", "time", "datacontenttype"}
"""Envelope attributes an event sets itself; the sample gives ``subject`` and ``data``."""


FIELD_VALUES: dict[str, Any] = {"frequency": ClaimFrequency.VOID}
"""Fields whose value must agree with another field's: a claim line filled with a
``replaces_claim_ref`` is a void (an original names no earlier claim)."""


def sample(model: type[M]) -> M:
    """A valid ``model`` with every field set (envelope attributes left to defaults)."""
    skip = ENVELOPE_DEFAULTS | {"schemaversion"} if issubclass(model, Event) else set()
    values = {
        name: FIELD_VALUES[name] if name in FIELD_VALUES else _value(field.annotation)
        for name, field in model.model_fields.items()
        if name not in skip
    }
    return model(**values)


def _value(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        # a constrained type that gives an example (an NPI, a HCPCS code) gets it
        for meta in arguments[1:]:
            if isinstance(meta, FieldInfo) and meta.examples:
                return meta.examples[0]
        return _value(arguments[0])
    if origin is Literal:
        return arguments[0]
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in arguments if a is not type(None)))
    if origin is list:
        return [_value(arguments[0])]
    if origin is dict:
        return {_value(arguments[0]): _value(arguments[1])}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return sample(annotation)
        if issubclass(annotation, Enum):
            return next(iter(annotation))
    simple: dict[Any, Any] = {
        bool: True,
        int: 1,
        str: "A1",  # fits every id and code pattern
        Decimal: Decimal("12.50"),
        date: date(2026, 3, 2),
        time: time(9, 30),
        datetime: datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
        AwareDatetime: datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
    }
    if annotation in simple:
        return simple[annotation]
    raise TypeError(f"tests/contracts/samples.py cannot build a {annotation!r} yet")
