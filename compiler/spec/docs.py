"""Field descriptions for the JSON Schema, taken from attribute docstrings on demand.

Spec models document their fields with a docstring under each attribute, which reads well in
code. Pydantic can copy those into field descriptions (``use_attribute_docstrings``), but it
does so by reading and tokenising every model's source at import, about a third of the
models' import time, paid by every command. Only the JSON Schema (``mlopsgen schema``, and
hints on errors) needs the text, so it is extracted here when a schema is generated.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from pydantic import BaseModel


def attribute_docstrings(cls: type[BaseModel]) -> dict[str, str]:
    """Docstrings written under the annotated attributes of ``cls`` (not its bases)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    if not isinstance(body, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for node, following in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _all_models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``root``'s fields, by class name (the schema's $defs keys)."""
    found: dict[str, type[BaseModel]] = {}
    pending = [root]
    while pending:
        cls = pending.pop()
        if cls.__name__ in found:
            continue
        found[cls.__name__] = cls
        for field in cls.model_fields.values():
            pending.extend(_models_in(field.annotation))
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def _describe(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    docs = attribute_docstrings(cls)
    properties = schema.get("properties", {})
    for name, field in cls.model_fields.items():
        key = field.alias or name
        text = docs.get(name)
        if text and key in properties and "description" not in properties[key]:
            # pydantic writes a property's keywords in alphabetical order; keep that order
            updated = {**properties[key], "description": text}
            properties[key] = dict(sorted(updated.items()))


def add_field_descriptions(schema: dict[str, Any], root: type[BaseModel]) -> dict[str, Any]:
    """Fill missing property descriptions of ``root``'s JSON Schema from attribute docstrings.

    Args:
        schema: the schema pydantic generated for ``root`` (modified in place).
        root: the model the schema describes.

    Returns:
        The same schema, for chaining.
    """
    models = _all_models(root)
    _describe(schema, root)
    for name, definition in schema.get("$defs", {}).items():
        if name in models:
            _describe(definition, models[name])
    return schema
