"""Diagnostics are data: every stage collects them, only the CLI prints them.

A :class:`Diagnostic` carries a level, a stable code, a message, the source span it points at
and a hint. Stages return or raise collections of them instead of printing, so the CLI can
render text or JSON and tests can snapshot the exact wording.

Codes are grouped by stage so a user can search for them:

* ``E1xx`` reading and parsing the YAML file,
* ``E2xx`` the shape of the spec (types, unknown keys, ranges),
* ``E3xx`` cross-field consistency (references, contradictions),
* ``E4xx`` decision-rule expressions,
* ``W/E5xx`` planning (an SLO that cannot be met, a budget overrun),
* ``E6xx`` writing the output.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal


class Level(enum.StrEnum):
    """Severity of a diagnostic; only ``error`` stops a build."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Span:
    """A 1-based position range in a source file."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Edit:
    """One change to the spec's data that a hint proposes, kept as data next to the hint.

    ``set`` writes ``value`` at ``path`` (creating missing mappings), ``delete`` removes the
    key or item at ``path``, ``rename`` moves the key at ``path`` to the key ``value``. Tests
    apply every proposed edit and validate again, so a hint that leads to a new error fails.
    """

    op: Literal["set", "delete", "rename"]
    path: tuple[str | int, ...]
    value: object = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form: ``{"op": "set", "path": "slo.availability", "value": 99.99}``."""
        data: dict[str, object] = {"op": self.op, "path": dotted(self.path)}
        if self.op != "delete":
            data["value"] = self.value
        return data


def set_value(path: tuple[str | int, ...], value: object) -> Edit:
    """An edit that writes ``value`` at ``path``."""
    return Edit("set", path, value)


def delete_key(path: tuple[str | int, ...]) -> Edit:
    """An edit that removes the key (or list item) at ``path``."""
    return Edit("delete", path)


def rename_key(path: tuple[str | int, ...], new_key: str) -> Edit:
    """An edit that renames the key at ``path`` to ``new_key``, keeping its value."""
    return Edit("rename", path, new_key)


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the input, ready to render as text or JSON.

    ``fix`` holds the edits the hint proposes when they are mechanical (one obvious change);
    it is empty when the fix needs a human choice. It does not take part in equality.
    """

    level: Level
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    path: tuple[str | int, ...] = field(default=())
    fix: tuple[Edit, ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic stops the pipeline."""
        return self.level is Level.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order diagnostics by position so output reads top to bottom."""
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form used by ``--format json``."""
        data: dict[str, object] = {
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "path": dotted(self.path) if self.path else None,
            "fix": [edit.to_dict() for edit in self.fix] or None,
        }
        if self.span is not None:
            data.update(
                file=self.span.file,
                line=self.span.line,
                column=self.span.column,
                end_line=self.span.end_line,
                end_column=self.span.end_column,
            )
        return data


def dotted(path: tuple[str | int, ...]) -> str:
    """A path as users write it in docs: ``models[0].gates[1].max``, or ``(spec)`` for the root.

    Dotted paths do not depend on where a key sits in the file, so output that cites them
    stays the same when keys are reordered or comments added.
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(spec)"


def error(
    code: str,
    message: str,
    span: Span | None = None,
    hint: str | None = None,
    path: tuple[str | int, ...] = (),
    fix: Sequence[Edit] = (),
) -> Diagnostic:
    """Shorthand for an error-level diagnostic."""
    return Diagnostic(Level.ERROR, code, message, span, hint, path, tuple(fix))


def warning(
    code: str,
    message: str,
    span: Span | None = None,
    hint: str | None = None,
    path: tuple[str | int, ...] = (),
    fix: Sequence[Edit] = (),
) -> Diagnostic:
    """Shorthand for a warning-level diagnostic."""
    return Diagnostic(Level.WARNING, code, message, span, hint, path, tuple(fix))


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deduplicate and order diagnostics by file position."""
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether any diagnostic is an error."""
    return any(d.is_error for d in diagnostics)


def format_diagnostic(diagnostic: Diagnostic, source: str | None) -> str:
    """Render one diagnostic as ``file:line:col: level[code]: message`` with context.

    The offending source line is quoted with a caret under the column, so a user sees
    the problem without opening the file; the hint follows on its own line.
    """
    head = f"{diagnostic.level.value}[{diagnostic.code}]: {diagnostic.message}"
    lines = [f"{diagnostic.span}: {head}" if diagnostic.span else head]
    if diagnostic.span is not None and source is not None:
        source_lines = source.splitlines()
        index = diagnostic.span.line - 1
        if 0 <= index < len(source_lines):
            text = _printable(source_lines[index])
            gutter = str(diagnostic.span.line)
            lines.append(f" {gutter} | {text}")
            caret_col = max(diagnostic.span.column - 1, 0)
            width = 1
            if (
                diagnostic.span.end_line == diagnostic.span.line
                and diagnostic.span.end_column is not None
            ):
                width = max(diagnostic.span.end_column - diagnostic.span.column, 1)
            width = max(min(width, len(text) - caret_col), 1)
            lines.append(f" {' ' * len(gutter)} | {' ' * caret_col}{'^' * width}")
    if diagnostic.hint:
        lines.append(f"  hint: {diagnostic.hint}")
    return "\n".join(lines)


def _printable(text: str) -> str:
    """Make a quoted source line safe for a terminal (tabs shown as one space, controls escaped)."""
    out = []
    for ch in text[:300]:
        if ch == "\t":
            out.append(" ")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


class MlopsgenError(Exception):
    """Base of the errors the library raises; the CLI turns them into exit codes."""

    exit_code = 2


class SpecError(MlopsgenError):
    """The spec is invalid; carries every diagnostic found, not only the first."""

    exit_code = 1

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = sorted_diagnostics(diagnostics)
        self.sources = sources or {}
        first = self.diagnostics[0].message if self.diagnostics else "invalid spec"
        super().__init__(first)


class UsageError(MlopsgenError):
    """Bad command-line use or an unreadable path (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message)


class OutputError(MlopsgenError):
    """The output directory cannot be written safely (exit code 2, or 1 for hand edits)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None):
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(message)
