"""A tiny evaluator for the expressions the consistency tests trace through the modules.

It knows exactly what the modules use on the traced paths: references (``var.a.b``,
``each.key``, ``each.value.x``, ``local.x``), literals, ``==``, ``!=``, ``>``, the conditional
``? :``, ``/``, a few functions (``toset``, ``upper``, ``replace``, ``slice``, ``ceil``,
``length``), lists, single-key objects ``{this = x}``, ``{}`` and
``{for i, v in list : v => i}``. Anything else raises, so a module change that leaves this
subset fails the test loudly instead of being traced wrongly.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Unsupported", "evaluate"]

_FOR_MAP = re.compile(r"\{\s*for (\w+), (\w+) in (.+?) : (\w+) => (\w+)\s*\}")
_OBJECT = re.compile(r"\{\s*(\w+) = (.+)\}")
_CALL = re.compile(r"(\w+)\((.*)\)")
_REFERENCE = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*")


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    " == ": operator.eq,
    " != ": operator.ne,
    " > ": operator.gt,
}


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "toset": lambda items: sorted(set(items)),
    "upper": str.upper,
    "replace": lambda text, old, new: text.replace(old, new),
    "slice": lambda items, start, end: items[start:end],
    "ceil": math.ceil,
    "length": len,
}


class Unsupported(ValueError):
    """An expression outside the subset this evaluator knows."""


def _split_top(text: str, token: str) -> list[str]:
    """Split at ``token`` where it stands outside brackets and quotes."""
    parts, depth, quoted, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(token, index):
            parts.append(text[start:index])
            start = index + len(token)
            index = start
            continue
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _lookup(value: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise Unsupported(f"no {key!r} in {value!r}")
        value = value[key]
    return value


def _expr(text: str, scope: Mapping[str, Any]) -> Any:
    text = text.strip()
    condition = _split_top(text, " ? ")
    if len(condition) == 2:
        then, otherwise = _split_top(condition[1], " : ")
        return _expr(then if _expr(condition[0], scope) else otherwise, scope)
    quotient = _split_top(text, " / ")
    if len(quotient) == 2:
        return _expr(quotient[0], scope) / _expr(quotient[1], scope)
    for token, compare in _COMPARISONS.items():
        sides = _split_top(text, token)
        if len(sides) == 2:
            return compare(_expr(sides[0], scope), _expr(sides[1], scope))
    if text in ("{}", "[]"):
        return {} if text == "{}" else []
    if text in ("true", "false", "null"):
        return json.loads(text)
    if re.fullmatch(r"-?\d+(\.\d+)?", text) or (text.startswith('"') and "${" not in text):
        return json.loads(text)
    if text.startswith("[") and text.endswith("]"):
        return [_expr(item, scope) for item in _split_top(text[1:-1], ",")]
    if match := _FOR_MAP.fullmatch(text):
        index, item, source, key, value = match.groups()
        rows = [{index: i, item: v} for i, v in enumerate(_expr(source, scope))]
        return {row[key]: row[value] for row in rows}
    if match := _OBJECT.fullmatch(text):
        return {match.group(1): _expr(match.group(2), scope)}
    if match := _CALL.fullmatch(text):
        function = _FUNCTIONS.get(match.group(1))
        if function is None:
            raise Unsupported(text)
        return function(*(_expr(arg, scope) for arg in _split_top(match.group(2), ",")))
    if _REFERENCE.fullmatch(text):
        head, *path = text.split(".")
        if head == "local":
            locals_ = scope["local"]
            return _lookup(evaluate(locals_[path[0]], scope), path[1:])
        return _lookup(scope[head], path)
    raise Unsupported(text)


def evaluate(value: Any, scope: Mapping[str, Any]) -> Any:
    """The value of one hcl2 attribute value in ``scope`` (``var``, ``each``, ``local``)."""
    if not isinstance(value, str):
        return value
    if value.startswith("${") and value.endswith("}"):
        return _expr(value[2:-1], scope)
    if value.startswith('"') and "${" not in value:
        return json.loads(value)
    raise Unsupported(value)
