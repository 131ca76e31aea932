"""Escaping filters: the only way a value from the plan reaches generated text.

Templates never write ``"{{ x }}"``: a value is passed through the filter of the target
language, which either produces a literal that the target's own parser reads back as exactly
that value, or raises. Each filter is a pure function so it can be property-tested with hostile
strings and registered under a short name in the Jinja environment (see ``environment.py``).

Why each language needs its own encoder:

* Markdown, Mermaid, comments, shell and Makefiles each have their own metacharacters.
* TOML basic strings forbid most control characters unless escaped.

The encoders only the next targets use live with them: Python literals in
:mod:`mlopsgen.targets.literals`, HCL in :mod:`mlopsgen.targets.terraform.hcl`, and YAML and
JSON, which are dumped from data and never templated, in :mod:`mlopsgen.targets.dumps`.

Lone surrogates are rejected everywhere: every output file is written as UTF-8, where they
cannot be represented.
"""

from __future__ import annotations

import re

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
    "make_escape",
    "markdown_cell",
    "markdown_code",
    "markdown_text",
    "mermaid_label",
    "shell_quote",
    "toml_string",
]

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
