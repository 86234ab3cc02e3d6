"""Loading a program catalog by name (``ATR_PROGRAM``) with the state's configured prices."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import yaml

from programs.catalog import Catalog

CATALOG_DIR = Path(__file__).resolve().parent


class UnknownProgramError(LookupError):
    """No catalog file for this program name."""


def available_programs() -> list[str]:
    """Program names that have a catalog file."""
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


def load_catalog(program: str, rates: Mapping[str, Decimal] | None = None) -> Catalog:
    """Read and validate ``programs/<program>.yaml``; apply configured rates.

    Services marked ``rate_from_config`` take their price from ``rates`` (SPEC §3.4:
    "Seed 001 gives no prices: the state sets them in configuration"); those left
    unpriced keep ``rate: None`` and no voucher can be issued for them. A configured
    rate for a code the program lacks, or for a service with a fixed price, is an error.
    """
    path = CATALOG_DIR / f"{program}.yaml"
    if not path.is_file():
        raise UnknownProgramError(
            f"no catalog for program {program!r}; available: {', '.join(available_programs())}"
        )
    raw = yaml.safe_load(path.read_text())
    raw["services"] = {s["code"]: s for s in raw["services"]}
    for code, rate in (rates or {}).items():
        service = raw["services"].get(code)
        if service is None:
            raise ValueError(f"configured rate for {code}, which {program} does not have")
        if not service.get("rate_from_config"):
            raise ValueError(f"{code} has a fixed price in {program}; it cannot be configured")
        service["rate"] = str(rate)
        service["rate_from_config"] = False
    return Catalog.model_validate(raw)
