"""What an environment is made of, and the hash that names it in the cache.

Two stacks with the same requirements, the same lock and the same Python minor version get
the same environment; any change to one of the three gives another hash, so an environment in
the cache never holds versions other than those its name promises.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen.stackenv.errors import EnvBuildError

__all__ = ["EnvPins", "read_stack_pins"]

#: Bumped when the layout of a cached environment changes, so older ones are not reused.
CACHE_FORMAT = 1


def _clean(lines: Iterable[str]) -> tuple[str, ...]:
    """Requirement lines without comments and blanks, normalised and sorted."""
    kept = set()
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            kept.add(re.sub(r"\s+", "", text))
    return tuple(sorted(kept, key=str.lower))


@dataclass(frozen=True)
class EnvPins:
    """The inputs of one environment.

    Attributes:
        requirements: what pip installs (``name==version`` lines).
        constraints: the versions everything they pull in must have.
        python: the ``major.minor`` version of the interpreter the environment is built on.
    """

    requirements: tuple[str, ...]
    constraints: tuple[str, ...]
    python: str
    requires_python: str = field(default="", compare=False)
    """The stack's ``requires-python``, checked before a build (not part of the key)."""

    @classmethod
    def of(
        cls, requirements: Iterable[str], constraints: Iterable[str], python: str | None = None
    ) -> EnvPins:
        """Pins from raw lines (comments and blank lines ignored, order irrelevant)."""
        minor = python or f"{sys.version_info.major}.{sys.version_info.minor}"
        return cls(_clean(requirements), _clean(constraints), minor)

    def union(self, other: EnvPins) -> EnvPins:
        """One environment that holds both sets (one shared environment for many stacks)."""
        if other.python != self.python:
            raise ValueError(f"Python {self.python} and {other.python} cannot share one env")
        return EnvPins.of(
            (*self.requirements, *other.requirements),
            (*self.constraints, *other.constraints),
            self.python,
        )

    def digest(self) -> str:
        """The cache key: sha256 of the canonical pins, Python version and cache format."""
        payload = {
            "format": CACHE_FORMAT,
            "python": self.python,
            "implementation": sys.implementation.name,
            "platform": sys.platform,
            "requirements": list(self.requirements),
            "constraints": list(self.constraints),
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def read_stack_pins(stack: Path, python: str | None = None) -> EnvPins:
    """The pins a built stack declares: ``pyproject.toml``'s dependencies, ``constraints.txt``.

    Raises:
        EnvBuildError: the stack has no readable ``pyproject.toml`` (it was not built).
    """
    try:
        with (stack / "pyproject.toml").open("rb") as handle:
            project = tomllib.load(handle).get("project", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EnvBuildError(
            f"cannot read the stack's pinned requirements from {stack / 'pyproject.toml'}: {exc}",
            "build the stack first: mlopsgen build SPEC",
        ) from None
    constraints_file = stack / "constraints.txt"
    constraints = (
        constraints_file.read_text(encoding="utf-8").splitlines()
        if constraints_file.is_file()
        else []
    )
    pins = EnvPins.of(project.get("dependencies", []), constraints, python)
    return EnvPins(
        pins.requirements, pins.constraints, pins.python, str(project.get("requires-python", ""))
    )


_OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_CLAUSE = re.compile(r"^(>=|<=|>|<|==|!=)\s*(\d+)\.(\d+)(?:\.\*)?$")


def python_supported(requires_python: str, python: str) -> bool:
    """Whether a ``major.minor`` Python meets a ``requires-python`` such as ``>=3.11,<3.13``.

    Clauses other than a comparison with ``major.minor`` are not judged here (pip judges
    them during the install).
    """
    major, minor = (int(part) for part in python.split(".")[:2])
    for clause in filter(None, (c.strip() for c in requires_python.split(","))):
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        bound = (int(match.group(2)), int(match.group(3)))
        if not _OPERATORS[match.group(1)]((major, minor), bound):
            return False
    return True
