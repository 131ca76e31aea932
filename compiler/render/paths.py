"""Checks on the relative paths of a rendered tree, before anything touches the disk.

A path in a tree comes from templates and from names in the spec, so it is untrusted: the
writer and the formatter accept only canonical relative POSIX paths that cannot leave the
output directory and that mean the same file on every operating system the output may be
checked out on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlopsgen.diagnostics import OutputError

__all__ = ["check_relative_path", "check_tree_paths"]

NAME_MAX = 255
"""Longest file name (in UTF-8 bytes) Linux and macOS file systems accept."""

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def check_relative_path(name: object) -> str:
    """Return ``name`` if it is a safe relative POSIX path, else raise :class:`OutputError`.

    Refused: non-strings, the empty path, absolute paths, backslashes (a separator on
    Windows), NUL and other control characters, empty segments (``a//b``, a trailing ``/``),
    ``.`` and ``..`` segments, and segments longer than the file system allows.
    """
    if not isinstance(name, str):
        raise OutputError(f"output path must be a str, not {type(name).__name__}: {name!r}")
    problem = _path_problem(name)
    if problem is not None:
        raise OutputError(
            f"refusing output path {name!r}: {problem}",
            hint="output paths are relative, '/'-separated and stay inside the output directory",
        )
    return name


def _path_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name.startswith("/"):
        return "it is absolute"
    if "\\" in name:
        return "it contains a backslash"
    if _CONTROL.search(name):
        return "it contains a control character"
    for segment in name.split("/"):
        if segment == "":
            return "it has an empty segment"
        if segment in (".", ".."):
            return f"it has a {segment!r} segment"
        if len(segment.encode("utf-8", "surrogatepass")) > NAME_MAX:
            return f"a segment is longer than {NAME_MAX} bytes"
    if re.search("[\ud800-\udfff]", name):
        return "it contains a lone surrogate"
    return None


def check_tree_paths(names: Iterable[str]) -> list[str]:
    """Check every path of a tree and that the paths can coexist; return them sorted.

    Besides :func:`check_relative_path`, no two paths (or directories on them) may differ only
    by case (they would be one file on macOS and Windows), and no path may be a directory of
    another (``a`` and ``a/b``).
    """
    paths = sorted(check_relative_path(name) for name in names)
    files = set(paths)
    folded: dict[str, str] = {}
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if depth < len(parts) and prefix in files:
                raise OutputError(f"output path {prefix!r} is both a file and a directory")
            other = folded.setdefault(prefix.casefold(), prefix)
            if other != prefix:
                raise OutputError(f"output paths {other!r} and {prefix!r} differ only by case")
    return paths
