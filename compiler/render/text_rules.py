"""Text checks shared by the escaping filters: line breaks, controls, surrogates.

Every filter starts from the same view of "text": an exact ``str`` without lone surrogates
(which UTF-8 output cannot hold), and, for one-line targets, the same set of characters that
some target treats as a line break.
"""

from __future__ import annotations

import re

__all__ = ["LINE_BREAKS", "check_text", "one_line"]

# Every character str.splitlines() treats as a line boundary: some target (Python, YAML,
# JavaScript-based renderers) ends a line at each of them.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK_RUN = re.compile(f"[{re.escape(LINE_BREAKS)}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: object, what: str = "value") -> str:
    """Return ``value`` as an exact ``str``, refusing non-strings and lone surrogates."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    text = str.__str__(value)
    if _SURROGATE.search(text):
        raise ValueError(f"{what} contains a lone surrogate, which UTF-8 cannot encode: {text!r}")
    return text


_OTHER_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
# Bidirectional controls reorder how the rest of a line is displayed ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """Line breaks and other control characters become spaces; bidi controls are dropped."""
    text = _LINE_BREAK_RUN.sub(" ", text.replace("\t", " "))
    return _BIDI_CONTROLS.sub("", _OTHER_CONTROLS.sub(" ", text))
