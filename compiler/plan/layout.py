# Formulas are written in mathematical notation (×, −, ≤, →) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Fitting plan text into a terminal width without breaking what the reader copies.

A terminal that wraps a table cell mid-token turns ``specs/nlp.yaml:129`` into
``specs/nlp.yaml:12`` and a ``9`` on the next line: a wrong line number as the user reads
it. So text here is wrapped only at spaces, a word (a number, a ``file:line``, a decision
name) is never split, an operator stays with the operand after it (a formula breaks *before*
``=``, ``×`` or ``+``) and a number stays with its unit. Column widths are chosen so the
longest word of every column fits; when no such widths exist, the caller stacks the
decisions instead of drawing a table.

Widths are display cells (a wide CJK character counts two, a combining mark none), the
measure a terminal uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

OPERATORS = frozenset({"+", "−", "-", "×", "*", "/", "÷", "=", "→", "≤", "≥", "<", ">", "≈"})
"""Words a formula may break before; each is kept on the line of the operand after it."""

_NUMBER = re.compile(r"[($]*[−-]?\d[\d.,]*\)*")
_UNIT = re.compile(r"[^\W\d]|%")

TABLE_BORDER_PER_COLUMN = 3
"""A drawn table adds a border and one space of padding each side per column (plus one)."""


def cell_width(text: str) -> int:
    """The number of terminal cells ``text`` takes on one line."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _chunks(line: str) -> list[list[str]]:
    """The line's words in groups that a break should not separate."""
    words = line.split()
    chunks: list[list[str]] = []
    glued = False
    for index, word in enumerate(words):
        if glued and chunks:
            chunks[-1].append(word)
        else:
            chunks.append([word])
        following = words[index + 1] if index + 1 < len(words) else ""
        glued = word in OPERATORS or (
            _NUMBER.fullmatch(word) is not None
            and following not in OPERATORS
            and _UNIT.match(following) is not None
        )
    return chunks


def _pack(pieces: list[str], width: int) -> list[str]:
    """Greedy fill: pieces joined by spaces, a new line when the next one does not fit."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if current and cell_width(candidate) > width:
            lines.append(current)
            current = piece
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken only between words.

    Line breaks already in ``text`` are kept (one computation per line stays so). A group of
    words that does not fit on a line of its own is broken between its words; a single
    word wider than ``width`` is left whole on its own line, never cut.
    """
    lines: list[str] = []
    for line in text.split("\n"):
        pieces: list[str] = []
        for chunk in _chunks(line):
            joined = " ".join(chunk)
            pieces.extend([joined] if cell_width(joined) <= width else chunk)
        lines.extend(_pack(pieces, width))
    return lines


def longest_word(text: str) -> int:
    """The width of the widest word: the narrowest column that never splits one."""
    return max((cell_width(word) for word in text.split()), default=0)


def longest_line(text: str) -> int:
    """The width ``text`` takes unwrapped."""
    return max((cell_width(line) for line in text.split("\n")), default=0)


def column_widths(columns: Sequence[Sequence[str]], available: int) -> list[int] | None:
    """Content widths for columns of cells that fit ``available`` cells, or None if none do.

    Every column first gets its longest word, so nothing is ever split. The space left is
    shared out starting with the columns that need least to show unwrapped (a value, a
    source), each taking at most an even share of what remains, and what they leave goes to
    the widest text (the formula): short cells are not wrapped for want of a cell or two.
    """
    floors = [max((longest_word(cell) for cell in column), default=1) for column in columns]
    wants = [max((longest_line(cell) for cell in column), default=1) for column in columns]
    if sum(floors) > available:
        return None
    widths = list(floors)
    spare = available - sum(widths)
    order = sorted(range(len(widths)), key=lambda i: (wants[i] - floors[i], i))
    for served, index in enumerate(order):
        share = spare // (len(order) - served)
        grant = min(max(wants[index] - floors[index], 0), share)
        widths[index] += grant
        spare -= grant
    return widths


def labelled(label: str, text: str, width: int, indent: int) -> list[str]:
    """``label`` then ``text`` wrapped beside it, continuation lines under the text.

    ``label`` is padded to ``indent`` cells; a very narrow ``width`` still gets at least
    twenty cells for the text, so the block stays readable rather than a word per line.
    """
    room = max(width - indent, 20)
    lines = wrap(text, room)
    return [f"{label:<{indent}}{lines[0]}"] + [" " * indent + line for line in lines[1:]]
