"""The message types as JSON Schema (draft 2020-12), for partners writing their own nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from message_schemas.base import MessageBase
from message_schemas.envelope_header import EnvelopeHeader
from message_schemas.message import MESSAGE_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URI = "https://ncen-icomm.org/schemas"


def json_schema(model: type[MessageBase]) -> dict[str, Any]:
    """The JSON Schema of one message type, as it travels (``from`` for the sender)."""
    name, version = model.type_name(), model.SCHEMA_VERSION
    schema = model.model_json_schema(by_alias=True)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URI}/{name}/v{version}",
        **schema,
        "title": f"Icomm {name} message, version {version}",
        "description": model.summary(),
    }


def schema_filename(model: type[MessageBase]) -> str:
    return f"{model.type_name()}.v{model.SCHEMA_VERSION}.schema.json"


def export_json_schemas(directory: Path) -> list[Path]:
    """Write one schema per message type and an ``index.json``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index: list[dict[str, Any]] = []
    for name, model in sorted(MESSAGE_TYPES.items()):
        schema = json_schema(model)
        path = directory / schema_filename(model)
        _write_json(path, schema)
        written.append(path)
        index.append(
            {
                "type": name,
                "version": model.SCHEMA_VERSION,
                "file": path.name,
                "$id": schema["$id"],
                "description": schema["description"],
            }
        )
    header = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URI}/envelope-header/v1",
        **EnvelopeHeader.model_json_schema(by_alias=True),
        "title": "Icomm envelope routing header, version 1",
        "description": "The routing members of an envelope's JWE protected header "
        "(beside enc, cty and typ).",
    }
    header_path = directory / "envelope-header.v1.schema.json"
    _write_json(header_path, header)
    written.append(header_path)
    index_path = directory / "index.json"
    _write_json(index_path, {"schemas": index, "envelope_header": header_path.name})
    return [*written, index_path]


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
