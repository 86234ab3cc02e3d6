"""The AsyncAPI document of the platform, generated from every service's FastStream broker."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from services.kit.settings import SERVICES


def build_asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 of all services' publishers and subscribers, as a dict."""
    brokers = [
        importlib.import_module(f"services.{name}.app").broker for name in [*SERVICES, "gateway"]
    ]
    spec = AsyncAPI(
        *brokers,
        title="ATR voucher platform events",
        version="1.0.0",
        description="Kafka topics of the ATR voucher platform. Messages are CloudEvents 1.0 "
        "in structured mode (envelope fields in the JSON body); `subject` equals the key.",
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return document


def write_asyncapi(path: Path) -> None:
    """Write the AsyncAPI document to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_asyncapi(), indent=2) + "\n")
