"""Tokenizer of the decision-rule expression language.

Anything the language does not support becomes an ``error`` token carrying a positioned issue
instead of raising at once: the parser raises it only when it reaches the token, so the error
a user sees is always the leftmost one. After an error token the text is not scanned further.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from mlopsgen.expr.nodes import RESERVED, ConstValue, ExprIssue

GENERIC_HINT = "rules support comparisons, and/or/not, in, arithmetic and field references"

TokenKind: TypeAlias = Literal["number", "string", "bool", "name", "keyword", "op", "error", "end"]


@dataclass(frozen=True)
class Token:
    """One lexeme with its position; ``value`` holds the decoded literal, ``issue`` the error."""

    kind: TokenKind
    text: str
    offset: int
    end: int
    value: ConstValue | None = None
    issue: ExprIssue | None = None


_WHITESPACE = " \t\r\n"
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER_RE = re.compile(rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_HEX_RE = re.compile(r"[0-9a-fA-F]*")
_WORD_TAIL_RE = re.compile(r"[A-Za-z0-9_.]*")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",")
_LANGUAGE_WORDS = {"and", "or", "not", "in"}
_BOOLS = {"true": True, "false": False, "True": True, "False": False}
_STRING_PREFIXES = {"f", "r", "b", "u", "rb", "br", "fr", "rf"}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE_ERRORS = {
    "u": "'\\u' must be followed by 4 hex digits",
    "U": "'\\U' must be followed by 8 hex digits (at most 0010FFFF)",
}
_ESCAPE_HINT = r"supported escapes: \\ \' \" \n \r \t \uXXXX \UXXXXXXXX"

_BITWISE = (
    "bitwise operators are not supported",
    "use 'and', 'or' and 'not' to combine conditions",
)
_UNSUPPORTED_OPS: dict[str, tuple[str, str]] = {
    "**": ("'**' (power) is not supported", "multiply explicitly, e.g. x * x"),
    "//": ("'//' (floor division) is not supported", "use '/' for division"),
    ":=": ("assignment expressions (':=') are not supported", GENERIC_HINT),
    "<>": ("'<>' is not an operator", "use '!=' for 'not equal'"),
    "&&": ("'&&' is not an operator", "use 'and'"),
    "||": ("'||' is not an operator", "use 'or'"),
    "<<": _BITWISE,
    ">>": _BITWISE,
    "=": ("'=' is assignment, not comparison", "use '==' to compare"),
    "!": ("'!' is not an operator", "use 'not' to negate a condition"),
    "&": _BITWISE,
    "|": _BITWISE,
    "^": _BITWISE,
    "~": _BITWISE,
    "@": ("'@' (matrix multiplication) is not supported", GENERIC_HINT),
    "#": ("comments are not supported in rules", "remove the '#' and what follows it"),
    "{": ("dict and set literals are not supported", "lists are written ['a', 'b']"),
    "}": ("dict and set literals are not supported", "lists are written ['a', 'b']"),
    ".": ("unexpected '.'", "references are written 'field' or 'view.feature'"),
    ":": ("unexpected ':'", GENERIC_HINT),
    ";": ("rules are a single expression; ';' is not allowed", "join conditions with 'and'"),
}
_UNSUPPORTED_LONGEST_FIRST = sorted(_UNSUPPORTED_OPS, key=len, reverse=True)
_KEYWORD_HINTS: dict[str, tuple[str, str]] = {
    "is": ("'is' is not supported", "use '==' or '!='"),
    "None": ("'None' is not supported: rules have no null value", GENERIC_HINT),
    "if": ("conditional expressions are not supported", "split the logic into separate rules"),
    "else": ("conditional expressions are not supported", "split the logic into separate rules"),
    "lambda": ("lambdas are not supported", GENERIC_HINT),
    "for": ("comprehensions are not supported", "write the values as a list: x in ['a', 'b']"),
}


def describe_char(ch: str) -> str:
    """Quote one character for a message; invisible or non-ASCII ones by code point."""
    if ch.isascii() and ch.isprintable():
        return repr(ch)
    return f"U+{ord(ch):04X}"


def _error(offset: int, length: int, message: str, hint: str | None) -> Token:
    issue = ExprIssue(message, offset, max(1, length), hint)
    return Token("error", "", offset, offset + max(1, length), issue=issue)


def tokenize(text: str) -> list[Token]:
    """Split rule text into tokens, ending with an ``end`` token (or an ``error`` then ``end``)."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= len(text):
            break
        token = _next_token(text, pos)
        tokens.append(token)
        if token.kind == "error":
            break
        pos = token.end
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _next_token(text: str, pos: int) -> Token:
    ch = text[pos]
    if ch in "'\"":
        return _scan_string(text, pos)
    number = _NUMBER_RE.match(text, pos) if ch in "0123456789." else None
    if number is not None:
        return _scan_number(text, number)
    name = _NAME_RE.match(text, pos)
    if name is not None:
        return _classify_name(text, name.group(), pos)
    for unsupported in _UNSUPPORTED_LONGEST_FIRST:
        if text.startswith(unsupported, pos) and not _is_supported_at(text, pos, unsupported):
            message, hint = _UNSUPPORTED_OPS[unsupported]
            return _error(pos, len(unsupported), message, hint)
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return Token("op", op, pos, pos + len(op))
    return _error(pos, 1, f"unexpected character {describe_char(ch)}", GENERIC_HINT)


def _is_supported_at(text: str, pos: int, unsupported: str) -> bool:
    """Whether a longer supported operator (``!=``, ``==``) starts where a bad one (``!``) does."""
    return any(text.startswith(op, pos) and len(op) > len(unsupported) for op in _OPERATORS)


def _scan_number(text: str, match: re.Match[str]) -> Token:
    pos = match.start()
    literal = match.group()
    tail = _WORD_TAIL_RE.match(text, match.end())
    end = tail.end() if tail is not None else match.end()
    if end != match.end():
        return _error(
            pos, end - pos, f"invalid number {text[pos:end]!r}", "numbers look like 42, 0.5 or 1e6"
        )
    value: int | float
    if any(c in literal for c in ".eE"):
        value = float(literal)
        if not math.isfinite(value):
            return _error(pos, end - pos, "number is too large", "use a finite number")
    else:
        value = int(literal)
    return Token("number", literal, pos, end, value=value)


def _scan_string(text: str, pos: int) -> Token:
    quote = text[pos]
    chars: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return Token("string", text[pos : i + 1], pos, i + 1, value="".join(chars))
        if ch in "\r\n":
            break
        if ch == "\\" and i + 1 < len(text):
            decoded, width = _decode_escape(text, i)
            if decoded is None:
                message = _ESCAPE_ERRORS.get(
                    text[i + 1], f"unsupported escape after '\\': {describe_char(text[i + 1])}"
                )
                return _error(i, width, message, _ESCAPE_HINT)
            chars.append(decoded)
            i += width
            continue
        chars.append(ch)
        i += 1
    return _error(pos, i - pos, "string is not closed", f"add the closing {quote} on the same line")


def _decode_escape(text: str, i: int) -> tuple[str | None, int]:
    """Decode the escape at ``text[i]`` (a backslash): the character, or None, and its width."""
    letter = text[i + 1]
    if letter in _ESCAPES:
        return _ESCAPES[letter], 2
    digits = {"u": 4, "U": 8}.get(letter)
    if digits is None:
        return None, 2
    code = _HEX_RE.match(text, i + 2, i + 2 + digits)
    hex_digits = code.group() if code is not None else ""
    if len(hex_digits) == digits and int(hex_digits, 16) <= 0x10FFFF:
        return chr(int(hex_digits, 16)), 2 + digits
    return None, 2 + len(hex_digits)


def _classify_name(text: str, word: str, pos: int) -> Token:
    end = pos + len(word)
    parts = word.split(".")
    if len(parts) == 1:
        if word in _LANGUAGE_WORDS:
            return Token("keyword", word, pos, end)
        if word in _BOOLS:
            return Token("bool", word, pos, end, value=_BOOLS[word])
        if word.lower() in _STRING_PREFIXES and text[end : end + 1] in ("'", '"'):
            message = f"string prefixes such as {word}'...' are not supported"
            return _error(pos, len(word) + 1, message, "use a plain quoted string")
        if word in RESERVED:
            message, hint = _KEYWORD_HINTS.get(word, (f"'{word}' is not supported", GENERIC_HINT))
            return _error(pos, len(word), message, hint)
    if len(parts) > 2:
        message = f"'{word}' has too many dots"
        return _error(pos, len(word), message, "references are written 'field' or 'view.feature'")
    for part in parts:
        if part in RESERVED:
            message = f"'{part}' is a reserved word and cannot be used as a name"
            return _error(pos, len(word), message, "rename the field or feature")
    return Token("name", word, pos, end)
