"""Formatting is part of the build: every generated ``.py`` file goes through ruff.

Rendered Python is fixed (``ruff check --fix``: import sorting and unused imports) and then
formatted (``ruff format``), so a generated stack passes ``ruff format --check`` and
``ruff check --select E4,E7,E9,F,I`` (ruff's default rules plus isort) when run from its root.
There is no fallback: a missing ruff binary, a syntax error in generated code or a lint error
ruff cannot fix raises :class:`FormattingError`, because silently skipping formatting would
make the output depend on the machine.

The settings are passed on the command line with ``--isolated`` and ``RUFF_*`` variables are
removed from ruff's environment, so neither a user's ``pyproject.toml``/``ruff.toml`` nor their
shell changes the output; the ruff version is pinned by ``constraints.txt``.

Speed: a whole tree is formatted with two ruff processes, not two per file. The Python files
are written into a temporary directory laid out like the output (ruff's isort tells first-party
from third-party imports by the directories it finds from its working directory, the tree's
root) and the file names are passed explicitly, so ruff's default excludes (``build/``,
``dist/``, ...) cannot skip a generated file.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.render.paths import check_relative_path

__all__ = [
    "LINT_RULES",
    "FormattingError",
    "RuffNotFoundError",
    "format_python",
    "format_tree",
    "ruff_binary",
    "ruff_version",
]

LINE_LENGTH = 100
TARGET_VERSION = "py311"
LINT_RULES = "E4,E7,E9,F,I"
"""ruff's default rule selection (E4, E7, E9, F) plus isort (I), spelled out."""

_SETTINGS = [
    "--isolated",
    "--no-cache",
    "--line-length",
    str(LINE_LENGTH),
    "--target-version",
    TARGET_VERSION,
    "--config",
    'format.line-ending = "lf"',
]
_BATCH = 400  # files per ruff process, far below any command-line length limit
_TIMEOUT_S = 300


class FormattingError(MlopsgenError):
    """Generated Python could not be formatted: a template bug or a missing ruff.

    Attributes:
        path: the generated file ruff complained about first, if any.
        details: ruff's own output.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, details: str = ""):
        self.path = path
        self.details = details
        super().__init__(f"{message}\n{details}".rstrip() if details else message)


class RuffNotFoundError(FormattingError):
    """The ruff binary of the installed ``ruff`` package is missing."""


def ruff_binary() -> str:
    """The path of the ruff executable shipped by the ``ruff`` Python package.

    Raises:
        RuffNotFoundError: if the package or its binary is missing.
    """
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError as exc:
        raise RuffNotFoundError(
            "the 'ruff' package is not installed; generated Python cannot be formatted",
            details="install mlopsgen's dependencies (pip install mlopsgen) to get it",
        ) from exc
    try:
        return os.fsdecode(find_ruff_bin())
    except FileNotFoundError as exc:
        raise RuffNotFoundError(f"the ruff executable was not found: {exc}") from exc


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUFF_")}
    try:
        return subprocess.run(
            [ruff_binary(), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FormattingError(f"could not run ruff {args[0]}: {exc}") from exc


def ruff_version() -> str:
    """The version of the ruff that formats generated code, e.g. ``"ruff 0.17.6"``."""
    return _run(["--version"], Path.cwd()).stdout.strip()


def _first_path(output: str, paths: list[str]) -> str | None:
    """The first generated path ruff's output mentions, so the error names the file."""
    for line in output.splitlines():
        for path in paths:
            if path in line:
                return path
    return None


def _ruff(command: list[str], paths: list[str], root: Path) -> None:
    """Run one ruff command over ``paths`` (relative to ``root``) in batches."""
    for start in range(0, len(paths), _BATCH):
        batch = paths[start : start + _BATCH]
        result = _run([*command, *_SETTINGS, "--", *batch], root)
        if result.returncode == 0:
            continue
        output = (result.stdout + result.stderr).strip()
        if command[0] == "check" and "invalid-syntax" in output:
            message = "generated Python has a syntax error (a template bug)"
        elif command[0] == "check" and result.returncode == 1:
            message = "generated Python has errors ruff cannot fix (a template bug)"
        else:
            message = f"ruff {command[0]} failed on generated Python (exit {result.returncode})"
        raise FormattingError(message, path=_first_path(output, batch), details=output)


def format_tree(tree: Mapping[str, str]) -> dict[str, str]:
    """Return ``tree`` with every ``*.py`` file fixed and formatted by ruff; other files as is.

    Keys keep their order. Formatting is deterministic: the same tree gives the same bytes.

    Raises:
        FormattingError: on a syntax error, a lint error ruff cannot fix, or ruff failing.
        RuffNotFoundError: if ruff is not installed.
        OutputError: if a path in the tree is not a safe relative path.
    """
    python = sorted(check_relative_path(path) for path in tree if path.endswith(".py"))
    if not python:
        return dict(tree)
    with tempfile.TemporaryDirectory(prefix="mlopsgen-format-") as tmp:
        root = Path(tmp)
        for path in python:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tree[path].encode("utf-8"))
        _ruff(
            ["check", "--fix", "--select", LINT_RULES, "--output-format", "concise"], python, root
        )
        _ruff(["format"], python, root)
        formatted = {path: (root / path).read_bytes().decode("utf-8") for path in python}
    return {path: formatted.get(path, text) for path, text in tree.items()}


def format_python(source: str, path: str) -> str:
    """Fix and format one Python file; ``path`` names it in errors and for isort.

    Only ``source`` is visible to ruff, so an import of a sibling module of the generated tree
    may be sorted as third-party here; :func:`format_tree`, which the build uses, sees the
    whole tree.

    Raises:
        FormattingError: on a syntax error, a lint error ruff cannot fix, or ruff failing.
        ValueError: if ``path`` does not end in ``.py``.
    """
    if not path.endswith(".py"):
        raise ValueError(f"format_python formats .py files, not {path!r}")
    return format_tree({path: source})[path]
