"""Turn pydantic's validation errors into positioned diagnostics with hints.

Pydantic reports problems by ``loc`` tuples that may contain union-branch tags; this module
maps each back onto the user's document, finds the file position through the source map,
and rewrites the message in the spec's terms: unknown keys get a did-you-mean against the
keys the JSON Schema allows at that place, missing keys name the mapping that lacks them.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any, get_args

from pydantic import StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from mlopsgen.diagnostics import Diagnostic, Edit, Span, error, rename_key, set_value
from mlopsgen.spec.docs import add_field_descriptions
from mlopsgen.spec.models.base import INVALID_VALUE
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import Duration, FieldName, Name, SystemName
from mlopsgen.spec.shape_messages import (
    number_with_unit,
    plain_message,
    range_hint,
    shape_hint,
    shown,
    unit_hint,
)
from mlopsgen.spec.source_map import SourceMap, SpecPath, dotted

_MAPPING_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})
_RANGE_ERRORS = frozenset({"greater_than", "less_than", "greater_than_equal", "less_than_equal"})
_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


@cache
def spec_json_schema() -> dict[str, Any]:
    """The spec's JSON Schema (by alias, as users write keys); computed once per process."""
    return add_field_descriptions(Spec.model_json_schema(by_alias=True), Spec)


def validate_shape(data: Any, source_map: SourceMap) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate plain data against :class:`Spec`, returning the model or diagnostics."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else _KIND_NAMES.get(type(data), "a value")
        return None, [
            error(
                "E201",
                f"the top level of a spec must be a mapping of sections, not {kind}",
                source_map.value_span(()),
                "start with `spec_version: 1` followed by `system:`, `slo:`, `data:` ...",
            )
        ]
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        diagnostics = [_diagnostic(e, data, source_map) for e in exc.errors(include_url=False)]
        return None, _dedupe(diagnostics)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Keep one diagnostic per path: union branches repeat the same failure."""
    seen: set[tuple[SpecPath, str]] = set()
    kept = []
    for diagnostic in diagnostics:
        key = (diagnostic.path, diagnostic.code)
        if key not in seen:
            seen.add(key)
            kept.append(diagnostic)
    return kept


def clean_loc(loc: tuple[int | str, ...], data: Any) -> SpecPath:
    """Drop pydantic's union tags from ``loc`` so it addresses the user's data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        found, child = _child(node, part)
        if found:
            path.append(part)
            node = child
        elif isinstance(node, dict) and part == node.get("kind"):
            continue  # discriminated-union tag: pydantic names the branch by the `kind` value
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)
            node = None
    return tuple(path)


def _node_at(data: Any, path: SpecPath) -> Any:
    """The user's data at ``path`` (None when the path leaves the data)."""
    node = data
    for part in path:
        found, node = _child(node, part)
        if not found:
            return None
    return node


def _child(node: Any, part: int | str) -> tuple[bool, Any]:
    """The element ``part`` of a mapping or list, and whether it exists."""
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _is_tag(part: str) -> bool:
    return "[" in part or part in {"str", "int", "float", "bool", "dict", "list"}


def _diagnostic(err: ErrorDetails, data: Any, source_map: SourceMap) -> Diagnostic:
    path = clean_loc(err["loc"], data)
    where = _describe(path)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        parent_data = _node_at(data, path[:-1])
        kind_value = parent_data.get("kind") if isinstance(parent_data, dict) else None
        allowed = allowed_keys(path[:-1], kind_value)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else None
        listing = f"allowed keys: {', '.join(allowed)}" if allowed else None
        hint = " ".join(h for h in (hint, listing) if h)
        return error(
            "E202",
            f"unknown key {key!r} in {_describe(path[:-1])}",
            source_map.key_span(path),
            hint or None,
            path,
            [rename_key(path, close[0])] if close else [],
        )
    if kind == "missing":
        key = str(path[-1]) if path else "?"
        parent: SpecPath = path[:-1]
        description = _field_description(parent, key)
        hint = f"add `{key}:` to {_describe(parent)}" + (f" ({description})" if description else "")
        return error(
            "E203",
            f"missing required key {key!r} in {_describe(parent)}",
            source_map.key_span(parent),
            hint,
            path,
        )
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return _tag_diagnostic(err, path, source_map)
    allowed = allowed_keys(path) if kind in _MAPPING_ERRORS else []
    message = _rewrite(err, allowed)
    hint = _hint_for(err, path, allowed)
    if hint is None or kind in _RANGE_ERRORS or kind in {"float_type", "int_type"}:
        description = _field_description(path[:-1], str(path[-1])) if path else None
        if description is not None and not isinstance(path[-1], int):
            hint = f"{hint}; {path[-1]}: {description}" if hint else f"{path[-1]}: {description}"
    span = source_map.value_span(path)
    fix = _fix_for(err, path)
    if kind == "string_type" and isinstance(err.get("input"), bool):
        written = _written(source_map, span)
        fix = [set_value(path, written)] if written else []
    return error("E204", f"{where}: {message}", span, hint, path, fix)


def _written(source_map: SourceMap, span: Span | None) -> str | None:
    """The value exactly as written in the file (``NO``), for values YAML read as another type."""
    if span is None or span.end_line != span.line or span.end_column is None:
        return None
    lines = source_map.text.splitlines()
    if not 0 < span.line <= len(lines):
        return None
    return lines[span.line - 1][span.column - 1 : span.end_column - 1] or None


def _fix_for(err: ErrorDetails, path: SpecPath) -> list[Edit]:
    """The edit a shape error's hint proposes, when there is exactly one obvious edit."""
    kind = err["type"]
    given = err.get("input")
    fixed = _fixed_name(err)
    if fixed is not None:
        return [set_value(path, fixed)]
    parsed = number_with_unit(given) if kind in {"float_type", "int_type"} else None
    if parsed is not None:
        return [set_value(path, parsed[0])]
    if kind == INVALID_VALUE:
        repairs = (err.get("ctx") or {}).get("fix") or {}
        return [set_value((*path, key), value) for key, value in repairs.items()]
    if kind in {"literal_error", "enum"} and isinstance(given, str):
        close = _closest_choice(err, given)
        return [set_value(path, close)] if close is not None else []
    return []


def _closest_choice(err: ErrorDetails, given: str) -> str | None:
    """The allowed literal a misspelt value most likely meant (``'gpc'`` → ``'gcp'``)."""
    expected = str((err.get("ctx") or {}).get("expected", ""))
    choices: list[str] = re.findall(r"'([^']*)'", expected)
    close = difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        return lowered.get(given.lower())
    return close[0]


def _tag_diagnostic(err: ErrorDetails, path: SpecPath, source_map: SourceMap) -> Diagnostic:
    """A discriminated union with an unknown or missing ``kind``: name the kinds, guess one."""
    context = err.get("ctx") or {}
    expected = _kinds_at(path)
    tag = context.get("tag")
    listed = ", ".join(expected)
    if err["type"] == "union_tag_not_found":
        return error(
            "E203",
            f"missing required key 'kind' in {_describe(path)}",
            source_map.value_span(path),
            f"add `kind:` with one of {listed}",
            (*path, "kind"),
        )
    close = difflib.get_close_matches(str(tag), expected, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return error(
        "E204",
        f"{_describe(path)}: unknown kind {tag!r}",
        source_map.value_span((*path, "kind")),
        f"{guess}kinds: {listed}",
        (*path, "kind"),
        [set_value((*path, "kind"), close[0])] if close else [],
    )


def _describe(path: SpecPath) -> str:
    return f"`{dotted(path)}`" if path else "the spec"


def _rewrite(err: ErrorDetails, allowed: list[str]) -> str:
    kind = err["type"]
    given = err.get("input")
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        what = "a duration" if pattern == _DURATION_PATTERN else "a valid name"
        return f"{shown(given)} is not {what}"
    return plain_message(err, allowed)


def _hint_for(err: ErrorDetails, path: SpecPath, allowed: list[str]) -> str | None:
    kind = err["type"]
    given = err.get("input")
    if kind == "string_pattern_mismatch":
        return _pattern_hint(str((err.get("ctx") or {}).get("pattern", "")), given)
    if kind == "string_type" and isinstance(given, bool):
        return "YAML reads unquoted yes/no/on/off/true/false as booleans: quote the value"
    if kind in {"float_type", "int_type"} and isinstance(given, str):
        with_unit = unit_hint(path, given)
        if with_unit is not None:
            return with_unit
        return "write the number without quotes" if _is_number(given) else "write a number"
    if kind == "finite_number":
        return "write a finite number: .inf and .nan are not values a spec can use"
    if kind in _RANGE_ERRORS:
        return range_hint(err)
    if kind in {"literal_error", "enum"} and isinstance(given, str):
        close = _closest_choice(err, given)
        choices = shape_hint(err, path, allowed, [])
        return f"did you mean {close!r}? {choices}" if close else choices
    item_keys = _required_item_keys(path) if kind == "too_short" else []
    return shape_hint(err, path, allowed, item_keys)


def _required_item_keys(path: SpecPath) -> list[str]:
    """The keys one item of the list at ``path`` must have (for "add at least one" hints)."""
    for schema in _schemas_at((*path, 0)):
        required = schema.get("required")
        if required:
            return [str(k) for k in required]
    return []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pattern_of(annotated: Any) -> str:
    """The regex a constrained string type enforces, read from its annotation."""
    for meta in get_args(annotated)[1:]:
        if isinstance(meta, StringConstraints) and meta.pattern is not None:
            return str(meta.pattern)
    raise TypeError(f"{annotated!r} has no pattern")


_NAME_PATTERN = _pattern_of(Name)
_DURATION_PATTERN = _pattern_of(Duration)
_PATTERN_HINTS = {
    _NAME_PATTERN: "names are snake_case: lowercase letters, digits and underscores, "
    "starting with a letter",
    _pattern_of(SystemName): "the system name is kebab-case: lowercase letters, digits and "
    "dashes, 2-40 characters",
    _pattern_of(FieldName): "column names are letters, digits and underscores",
    _DURATION_PATTERN: "a duration is a whole number and a unit: 30s, 5m, 24h, 7d, 2w",
}


def _pattern_hint(pattern: str, given: Any) -> str:
    """Say which naming rule a value breaks and, where it is obvious, the fixed value."""
    hint = _PATTERN_HINTS.get(pattern, f"the value must match {pattern}")
    fixed = _snake_case(given) if pattern == _NAME_PATTERN else None
    if fixed is not None:
        hint += f" (e.g. {fixed!r})"
    return hint


def _snake_case(given: Any) -> str | None:
    """The snake_case form of a name that breaks the naming rule, when there is an obvious one."""
    if not isinstance(given, str):
        return None
    fixed = re.sub(r"[^a-z0-9_]+", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", given).lower())
    fixed = fixed.strip("_")
    return fixed if fixed and fixed[0].isalpha() and fixed != given else None


def _fixed_name(err: ErrorDetails) -> str | None:
    """The renamed value a name-pattern hint proposes (``'Scorer'`` → ``'scorer'``)."""
    if err["type"] != "string_pattern_mismatch":
        return None
    if str((err.get("ctx") or {}).get("pattern", "")) != _NAME_PATTERN:
        return None
    return _snake_case(err.get("input"))


def _resolve(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand $ref / anyOf / oneOf / allOf into the object schemas they stand for."""
    root = spec_json_schema()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(root["$defs"][name])
    branches = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if branches:
        return [s for branch in branches for s in _resolve(branch)]
    return [schema]


def _schemas_at(path: SpecPath) -> list[dict[str, Any]]:
    schemas = _resolve(spec_json_schema())
    for part in path:
        nxt: list[dict[str, Any]] = []
        for schema in schemas:
            if isinstance(part, int) and "items" in schema:
                nxt.extend(_resolve(schema["items"]))
            elif isinstance(part, str) and part in schema.get("properties", {}):
                nxt.extend(_resolve(schema["properties"][part]))
            elif isinstance(part, str) and isinstance(schema.get("additionalProperties"), dict):
                nxt.extend(_resolve(schema["additionalProperties"]))
        schemas = nxt
    return schemas


def allowed_keys(path: SpecPath, kind: object = None) -> list[str]:
    """Keys the schema allows in the mapping at ``path`` (for did-you-mean hints).

    Where a union is told apart by ``kind``, passing the mapping's ``kind`` narrows the keys
    to that branch's, so a misspelt key is matched against the keys that would be valid.
    """
    schemas = _schemas_at(path)
    branch = [s for s in schemas if _kind_of(s) == kind] if kind is not None else []
    keys: set[str] = set()
    for schema in branch or schemas:
        keys.update(schema.get("properties", {}))
    return sorted(keys)


def _kind_of(schema: dict[str, Any]) -> object:
    """The constant ``kind`` that selects this branch of a discriminated union, if any."""
    return schema.get("properties", {}).get("kind", {}).get("const")


def _kinds_at(path: SpecPath) -> list[str]:
    """Every ``kind`` the union at ``path`` accepts, in declaration order."""
    return [str(k) for k in (_kind_of(s) for s in _schemas_at(path)) if k is not None]


def _field_description(path: SpecPath, key: str) -> str | None:
    for schema in _schemas_at(path):
        prop = schema.get("properties", {}).get(key)
        if prop is not None and prop.get("description"):
            return str(prop["description"]).split("\n")[0]
    return None
