"""Export the JSON Schema of every event in the registry (``atr export-schemas``)."""

from __future__ import annotations

import json
from pathlib import Path

from contracts.registry import events_of
from contracts.topics import ALL_TOPICS


def export_json_schemas(directory: Path) -> list[Path]:
    """Write ``<topic>/<event type>.v<schemaversion>.json`` for every event; return paths."""
    written: list[Path] = []
    for topic in ALL_TOPICS:
        for event in events_of(topic):
            version = event.model_fields["schemaversion"].default
            type_name = event.model_fields["type"].default
            path = directory / topic.name / f"{type_name}.v{version}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            schema = event.model_json_schema(mode="serialization")
            schema["$id"] = f"{topic.name}/{path.name}"
            schema["x-kafka"] = {"topic": topic.name, "key": topic.key}
            path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written
