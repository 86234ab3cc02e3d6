"""The active program catalog, chosen by configuration (``ATR_PROGRAM``, SPEC §3.4)."""

from __future__ import annotations

from functools import lru_cache

from programs.catalog import Catalog
from programs.loader import load_catalog
from services.kit.settings import Settings


@lru_cache(maxsize=8)
def _load(program: str, rates: tuple[tuple[str, str], ...]) -> Catalog:
    from decimal import Decimal

    return load_catalog(program, {code: Decimal(rate) for code, rate in rates})


def active_catalog(settings: Settings) -> Catalog:
    """The catalog named by ``settings.program`` with the state's configured rates."""
    rates = tuple(sorted((code, str(rate)) for code, rate in settings.program_rates.items()))
    return _load(settings.program, rates)
