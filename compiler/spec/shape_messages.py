"""Pydantic's error types in the spec's words: what is wrong, what was written, how to fix it.

Pydantic phrases errors for programmers (``Input should be a valid dictionary or instance of
GpuRequest``, ``List should have at least 1 item after validation, not 0``). A spec author
needs the rule in plain terms, the value they wrote and, where one follows, the change to make.
Each error type the spec models can raise has a message here; an unknown type falls back to
pydantic's text so nothing is lost.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import ErrorDetails

from mlopsgen.spec.models.base import INVALID_VALUE
from mlopsgen.spec.source_map import SpecPath

_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%/]+)\s*$")

_BOUNDS = {
    "greater_than": ("gt", "must be greater than {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
}


def shown(value: Any) -> str:
    """The written value, short: ``'fast'``, ``0``, ``false``, ``a list``, ``a mapping``."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


_RANGE_HINTS = {
    "greater_than": ("gt", "use a value above {}"),
    "greater_than_equal": ("ge", "use a value of {} or more"),
    "less_than": ("lt", "use a value below {}"),
    "less_than_equal": ("le", "use a value of {} or less"),
}


def range_hint(err: ErrorDetails) -> str | None:
    """``use a value of 99.999 or less``: the accepted range, as a hint."""
    entry = _RANGE_HINTS.get(err["type"])
    if entry is None:
        return None
    name, text = entry
    return text.format(_bound((err.get("ctx") or {}).get(name)))


def plain_message(err: ErrorDetails, allowed: list[str]) -> str:
    """The rule the value breaks and what was written, without pydantic's vocabulary.

    Args:
        err: one pydantic error.
        allowed: the keys the mapping at this place accepts (for "not a mapping" errors).
    """
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if kind in _BOUNDS:
        name, text = _BOUNDS[kind]
        return f"{text.format(_bound(ctx.get(name)))}, not {shown(given)}"
    if kind in {"float_type", "int_type", "int_from_float"}:
        whole = "a whole number" if kind != "float_type" else "a number"
        return f"must be {whole}, not {shown(given)}"
    if kind == "finite_number":
        return f"must be a finite number, not {shown(given)}"
    if kind == "string_type":
        return f"must be text, not {shown(given)}"
    if kind == "bool_type":
        return f"must be true or false, not {shown(given)}"
    if kind in {"literal_error", "enum"}:
        return f"must be one of {ctx.get('expected', '')}, not {shown(given)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        keys = f" with keys {', '.join(allowed)}" if allowed else ""
        return f"must be a mapping{keys}, not {shown(given)}"
    if kind == "list_type":
        return f"must be a list, not {shown(given)}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"must list at least {least} item{'s' if least != 1 else ''}, not {shown(given)}"
    if kind == "too_long":
        return f"must list at most {ctx.get('max_length')} items"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} character(s) long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind in {"value_error", INVALID_VALUE}:
        return str(err["msg"]).removeprefix("Value error, ")
    return f"{err['msg'].rstrip('.')} (got {shown(given)})"


def number_with_unit(given: Any) -> tuple[float, str] | None:
    """``"50ms"`` → ``(50, "ms")``: a number written with its unit, which the key already has."""
    if not isinstance(given, str):
        return None
    match = _NUMBER_WITH_UNIT.match(given)
    if match is None:
        return None
    number = float(match.group(1))
    return (int(number) if number.is_integer() else number), match.group(2)


def unit_hint(path: SpecPath, given: Any) -> str | None:
    """The hint for a number written with a unit: write the number only, the key has the unit."""
    parsed = number_with_unit(given)
    if parsed is None or not path or not isinstance(path[-1], str):
        return None
    number, unit = parsed
    key = path[-1]
    if unit == "%":
        why = f"{key} is a percentage already"
    elif "_" in key:
        why = "the unit is in the key name"
    else:
        why = "the key fixes the unit"
    return f"write the number only: {key}: {number} ({why})"


def shape_hint(
    err: ErrorDetails, path: SpecPath, allowed: list[str], item_keys: list[str]
) -> str | None:
    """A hint for the error types whose fix follows from the type alone.

    Args:
        err: one pydantic error.
        path: where it is, in the user's data.
        allowed: the keys the mapping at ``path`` accepts.
        item_keys: the required keys of one item of the list at ``path``.
    """
    kind = err["type"]
    key = str(path[-1]) if path and isinstance(path[-1], str) else "it"
    if kind == INVALID_VALUE:
        hint = (err.get("ctx") or {}).get("hint")
        return str(hint) if hint else None
    if kind in {"model_type", "model_attributes_type", "dict_type"} and allowed:
        example = ", ".join(f"{k}: ..." for k in allowed[:3])
        return f"write `{key}:` as a mapping of its keys, e.g. `{key}: {{{example}}}`"
    if kind == "list_type":
        return f"write a list: `{key}: [a, b]`, or one `- item` per line under `{key}:`"
    if kind == "too_short" and item_keys:
        return f"add at least one entry under `{key}:`, each with {', '.join(item_keys)}"
    if kind in {"literal_error", "enum"}:
        return f"{key}: one of {(err.get('ctx') or {}).get('expected', '')}"
    return None
