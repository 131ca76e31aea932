"""Escaping filters: the only way a value from the plan reaches generated text.

Templates never write ``"{{ x }}"``: a value is passed through the filter of the target
language, which either produces a literal that the target's own parser reads back as exactly
that value, or raises. Each filter is a pure function so it can be property-tested with hostile
strings and registered under a short name in the Jinja environment (see ``environment.py``).

Why each language needs its own encoder:

* Python: ``repr`` of a checked value tree; ``str(value)`` would let quotes, newlines or
  ``\"\"\"`` end the literal (the openapi-python-client advisory GHSA-9x4c-63pf-525f).
* HCL: ``json.dumps`` looks right but leaves ``${`` and ``%{`` live, so user text would become
  a Terraform interpolation or directive.
* YAML and JSON are dumped from data, never templated: a templated ``key: {{ x }}`` turns
  ``yes``, ``1e3`` or ``- a`` into something else.
* Markdown, Mermaid, comments, shell and Makefiles each have their own metacharacters.

Lone surrogates are rejected everywhere: every output file is written as UTF-8, where they
cannot be represented.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, TypeAlias

import yaml

from mlopsgen.render.filters_markup import (
    comment_text,
    make_escape,
    markdown_cell,
    markdown_code,
    markdown_text,
    mermaid_label,
    shell_quote,
)
from mlopsgen.render.text_rules import LINE_BREAKS, check_text

__all__ = [
    "LINE_BREAKS",
    "comment_text",
    "hcl_string",
    "hcl_value",
    "json_dump",
    "make_escape",
    "markdown_cell",
    "markdown_code",
    "markdown_text",
    "mermaid_label",
    "py_literal",
    "shell_quote",
    "toml_string",
    "yaml_dump",
]

Plain: TypeAlias = (
    bool | int | float | str | list["Plain"] | tuple["Plain", ...] | dict[str, "Plain"] | None
)


def _plain(value: object, where: str = "$") -> Plain:
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
        items = [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        out: dict[str, Plain] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: mapping keys must be str, not {type(key).__name__}")
            out[check_text(key, where)] = _plain(item, f"{where}.{key}")
        return out
    raise TypeError(f"{where}: {type(value).__name__} has no literal form in the generated files")


def _as_lists(value: Plain) -> Any:
    """Turn tuples into lists for the dumpers that only know sequences."""
    if isinstance(value, list | tuple):
        return [_as_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    return value


# --- Python -------------------------------------------------------------------------------------


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
    return _py(_plain(value))


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


# --- HCL ----------------------------------------------------------------------------------------

_HCL_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control characters (Cc), format characters (Cf: bidi overrides, zero-width, BOM, ...) and
# line/paragraph separators are written as \u escapes so the file shows what the string holds.
# The Cf ranges are those of Unicode 14, spelled out so the output does not change with the
# Unicode database of whichever Python runs the compiler.
_HCL_UNICODE_ESCAPE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_HCL_ESCAPE = re.compile('[\\\\"\\n\\r\\t]|' + _HCL_UNICODE_ESCAPE.pattern)
_HCL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HCL_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"})


def _hcl_char(match: re.Match[str]) -> str:
    char = match.group()
    simple = _HCL_SIMPLE_ESCAPES.get(char)
    if simple is not None:
        return simple
    code = ord(char)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def hcl_string(value: object) -> str:
    """An HCL double-quoted string literal that evaluates to exactly ``value``.

    Escapes backslash, quote, newline, carriage return and tab; writes other control and
    invisible format characters as ``\\uNNNN``; and doubles the template markers (``${`` ->
    ``$${``, ``%{`` -> ``%%{``) so user text never becomes an interpolation or a directive.

    Note that python-hcl2 8.x lexes ``$${`` only when a ``}`` follows later in the same string;
    Terraform (hclsyntax) does not need one. The encoding follows the HCL specification.

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates.
    """
    text = check_text(value)
    body = _HCL_ESCAPE.sub(_hcl_char, text)
    body = body.replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def hcl_value(value: object) -> str:
    """An HCL expression for a bool, number, string, null, list or map.

    Map keys are bare identifiers where HCL reads them as literal strings, and quoted otherwise
    (keywords such as ``null`` or ``for`` would be read as expressions). The one-line layout is
    what ``terraform fmt`` keeps.

    Raises:
        TypeError: for other types or non-str keys.
        ValueError: for NaN, infinities and lone surrogates.
    """
    return _hcl(_plain(value))


def _hcl(value: Plain) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_hcl(item) for item in value) + "]"
    if not value:
        return "{}"
    items = ", ".join(f"{_hcl_key(key)} = {_hcl(item)}" for key, item in value.items())
    return "{ " + items + " }"


def _hcl_key(key: str) -> str:
    if _HCL_IDENTIFIER.fullmatch(key) and key not in _HCL_KEYWORDS:
        return key
    return hcl_string(key)


# --- YAML and JSON ------------------------------------------------------------------------------

# Scalars YAML 1.2 resolves to numbers that PyYAML (YAML 1.1) would leave unquoted; GitHub
# Actions, Kubernetes and Prometheus read YAML 1.2, where plain `1e3` is a float.
_YAML12_NUMBER = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[-+]?0x[0-9a-fA-F]+"
)
_YAML_UNICODE_BREAK = re.compile("[\x85\u2028\u2029]")
YAML_WIDTH = 4096
"""Line width for YAML scalars: wide enough that long strings stay on one line, for greppable,
stable diffs; a fixed number so the output never depends on a library default."""


class _YamlDumper(yaml.SafeDumper):
    """SafeDumper that never emits anchors, quotes YAML-1.2 numbers and keeps scripts readable."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _YAML_UNICODE_BREAK.search(data):
            # PyYAML treats NEL, LS and PS as line breaks and folds them in plain, single-quoted
            # and block scalars; only double quotes (escapes \N \L \P) keep them.
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        if _YAML12_NUMBER.fullmatch(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        if "\n" in data:
            # Literal block style when the emitter allows it (it falls back to a quoted
            # scalar for text a block cannot hold, such as trailing spaces on a line).
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        return super().represent_str(data)


_YamlDumper.add_representer(str, _YamlDumper.represent_str)


def yaml_dump(data: object) -> str:
    """A YAML document for ``data``, deterministic and safe to read with any YAML parser.

    Mapping keys keep their insertion order: the plan builds every mapping in a fixed order,
    and the order that reads best (``name`` before ``steps``) is not the alphabetical one.
    Block style, Unicode kept as is, no anchors, a fixed width; strings that YAML 1.1 or 1.2
    would read as another type are quoted.

    Raises:
        TypeError: for values without a literal form (objects, non-str keys).
        ValueError: for NaN, infinities and lone surrogates.
    """
    return yaml.dump(
        _as_lists(_plain(data)),
        Dumper=_YamlDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=YAML_WIDTH,
        indent=2,
        explicit_start=False,
    )


def json_dump(data: object) -> str:
    """A JSON document for ``data``: two-space indent, insertion order, UTF-8, final newline.

    Insertion order for the same reason as :func:`yaml_dump`; the manifest, whose keys are
    paths, sorts its own keys.

    Raises:
        TypeError: for values without a literal form (objects, non-str keys).
        ValueError: for NaN, infinities and lone surrogates.
    """
    text = json.dumps(_as_lists(_plain(data)), indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"


# TOML basic strings forbid control characters other than tab (U+0000-U+0008, U+000A-U+001F,
# U+007F) unless escaped, and \u escapes may not name surrogates: escape exactly those.
_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_TOML_SPECIAL = re.compile('["\\\\\x00-\x1f\x7f]')


def toml_string(value: object) -> str:
    """A TOML basic string literal showing exactly ``value``.

    Raises:
        TypeError: if ``value`` is not a str.
        ValueError: for lone surrogates, which TOML (UTF-8) cannot carry.
    """
    text = check_text(value)
    return (
        '"'
        + _TOML_SPECIAL.sub(
            lambda m: _TOML_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04X}"), text
        )
        + '"'
    )
