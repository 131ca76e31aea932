"""Hypothesis strategies for text that tries to break out of whatever literal it lands in."""

from __future__ import annotations

import math

from hypothesis import strategies as st

FRAGMENTS = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\\\",
    '\\"',
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\u200b",
    "${",
    "${x}",
    "$${",
    "$",
    "$$",
    "%{",
    "%{ if x }",
    "%%{",
    "%",
    "{",
    "}",
    "{{",
    "}}",
    "{{ x }}",
    "{%",
    "%}",
    "{#",
    "../",
    "..",
    "/",
    "#",
    "`",
    "```",
    "[x](http://evil.example)",
    "<script>",
    "<!--",
    "-->",
    "&amp;",
    "|",
    "*",
    "_",
    "~",
    "- ",
    "1. ",
    "> ",
    "===",
    "---",
    ": ",
    "yes",
    "null",
    "1e3",
    "0o17",
    "0x1F",
    ".inf",
    "~",
    "@",
    "!",
    "é",
    "ß",
    "日本",
    "🚀",
    "👨\u200d👩\u200d👧",
    " ",
    "  ",
    "\\u0041",
    "#quot;",
    "\\#",
    "$(X)",
    ";",
]

hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=10
).map("".join)
"""Concatenations of hostile fragments and arbitrary text (no lone surrogates)."""

identifier_text = st.one_of(hostile_text, st.text(), st.from_regex(r"[A-Za-z0-9 _.-]{0,90}"))
"""Text to turn into identifiers: hostile, arbitrary and plausible names."""

finite_floats = st.floats(allow_nan=False, allow_infinity=False)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), finite_floats, hostile_text)

literal_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(hostile_text, inner, max_size=4),
    ),
    max_leaves=12,
)
"""Values with a Python literal form (tuples included)."""

data_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
"""Values YAML and JSON can hold."""


def same(a: object, b: object) -> bool:
    """Equality that also compares types, so ``1 == True`` or ``(1,) == [1]`` do not pass."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b
