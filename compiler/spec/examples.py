"""The reference specs shipped inside the package (``mlopsgen/examples``).

They are the same files as the repository's ``specs/`` (the package directory is a link to
it), so ``mlopsgen init --from fraud-detection`` works from an installed wheel anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from mlopsgen.diagnostics import UsageError


@dataclass(frozen=True)
class Example:
    """A reference spec: its name (the file stem) and the description it states."""

    name: str
    path: Path
    summary: str


def examples_dir() -> Path:
    """Directory holding the reference specs in the installed package."""
    with as_file(files("mlopsgen") / "examples") as path:
        return Path(path)


def _summary(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines()[1:4]:
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def list_examples() -> list[Example]:
    """Every reference spec, sorted by name."""
    return [Example(p.stem, p, _summary(p)) for p in sorted(examples_dir().glob("*.yaml"))]


def find_example(name: str) -> Example:
    """Look an example up by name, with the valid names in the error."""
    for example in list_examples():
        if example.name == name or example.path.name == name:
            return example
    names = ", ".join(e.name for e in list_examples())
    raise UsageError(f"no reference spec named {name!r}", f"choose one of: {names}")
