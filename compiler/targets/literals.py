"""Python literals for generated code: what the ZenML and BentoML targets put in templates.

``py_literal`` is the ``py`` template filter of the targets that emit Python (pipeline steps,
services). ``repr`` of a checked value tree, never ``str(value)``: a quote, a newline or
``\"\"\"`` in user text would otherwise end the literal (the openapi-python-client advisory
GHSA-9x4c-63pf-525f). :func:`plain` is the checked value tree every data encoder starts from
(HCL and the YAML and JSON dumps too): builtins only, finite numbers, str keys, no lone
surrogates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from mlopsgen.render.text_rules import check_text

__all__ = ["FILTERS", "Plain", "as_lists", "plain", "py_literal"]

Plain: TypeAlias = (
    bool | int | float | str | list["Plain"] | tuple["Plain", ...] | dict[str, "Plain"] | None
)


def plain(value: object, where: str = "$") -> Plain:
    """Copy ``value`` into builtin types, refusing anything without an exact literal form.

    ``str``/``int``/``float`` subclasses (identifier types, enums) become their base values so
    that every dumper sees only builtins; ``where`` is a JSONPath-like location for errors.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} has no literal form in the generated files")
        return float.__float__(value)
    if isinstance(value, str):
        return check_text(value, where)
    if isinstance(value, list | tuple):
        items = [plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        out: dict[str, Plain] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: mapping keys must be str, not {type(key).__name__}")
            out[check_text(key, where)] = plain(item, f"{where}.{key}")
        return out
    raise TypeError(f"{where}: {type(value).__name__} has no literal form in the generated files")


def as_lists(value: Plain) -> Any:
    """Turn tuples into lists for the dumpers that only know sequences."""
    if isinstance(value, list | tuple):
        return [as_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: as_lists(item) for key, item in value.items()}
    return value


def py_literal(value: object) -> str:
    """A Python expression that ``ast.literal_eval`` reads back as ``value``.

    Accepts None, bool, int, finite float, str, list, tuple and dict with str keys (emitted in
    insertion order, which the plan fixes). ``repr`` of a ``str`` escapes every quote, backslash,
    line break and non-printable character, so the literal is one expression on one line
    whatever the text holds.

    Raises:
        TypeError: for any other type, or a mapping key that is not a str.
        ValueError: for NaN, infinities and lone surrogates.
    """
    return _py(plain(value))


def _py(value: Plain) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_py(item) for item in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({_py(value[0])},)"
        return "(" + ", ".join(_py(item) for item in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    return repr(value)


#: Template filters for targets that emit Python.
FILTERS: dict[str, Callable[..., str]] = {"py": py_literal}
