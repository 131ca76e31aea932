"""HCL encoding for the Terraform target's templates (``hcl`` and ``hcl_value`` filters).

``json.dumps`` looks right for HCL but leaves ``${`` and ``%{`` live, so user text would become
a Terraform interpolation or directive; these encoders escape them and produce literals that
``terraform fmt`` keeps as they are. The Terraform target registers :data:`FILTERS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mlopsgen.render.text_rules import check_text
from mlopsgen.targets.literals import Plain, plain

__all__ = ["FILTERS", "hcl_string", "hcl_value"]

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
    return _hcl(plain(value))


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


#: Template filters of the Terraform target.
FILTERS: dict[str, Callable[..., str]] = {"hcl": hcl_string, "hcl_value": hcl_value}
