"""Write one folder of a compiled stack to disk, for a tool that reads files (no tests)."""

from __future__ import annotations

from pathlib import Path

from mlopsgen.build import compile_stack

__all__ = ["write_stack_part"]


def write_stack_part(spec: Path, folder: Path, part: str) -> Path:
    """The files under ``part`` (``deploy/``, ``monitoring/``) of ``spec``'s stack, written
    below ``folder`` at their stack paths; returns ``folder / part``."""
    tree = compile_stack(spec, folder / "unused").tree
    for path, text in tree.items():
        if path.startswith(part):
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text, encoding="utf-8")
    return folder / part
