"""The spec's JSON Schema, for editors (yaml-language-server) and ``mlopsgen schema``."""

from __future__ import annotations

import json
from typing import Any

from mlopsgen.spec.shape import spec_json_schema


def schema_document() -> dict[str, Any]:
    """The JSON Schema with a draft marker and a title editors display."""
    document: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mlopsgen.dev/schema/spec-v1.json",
    }
    document.update(spec_json_schema())
    document["title"] = "mlopsgen spec (spec_version 1)"
    return document


def schema_text() -> str:
    """Deterministic JSON text of the schema, ending in a newline."""
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"
