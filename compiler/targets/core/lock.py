"""The stack lock: exact versions of everything a generated stack's runtimes install.

A stack's ``pyproject.toml`` pins what it asks for (``zenml[local]==0.98.0``), but those
packages pull in some 150 more whose versions pip would otherwise choose on the day of the
install. The lock (``stack-lock.txt`` beside this module, taken from an environment where
every stack runtime installs together and passes ``pip check``) pins each of them and names
the stack requirements (its *roots*) that pull it in. Each stack gets the part of the lock its
own requirements need as ``constraints.txt``, which ``make install`` and ``mlopsgen run`` pass
to pip, so every install of a stack gets the same versions the functional tests ran.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from mlopsgen.render.errors import RenderError

__all__ = ["LockEntry", "constraints_for", "load_lock", "parse_lock", "requirement_name"]

LOCK_FILE = "stack-lock.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)$")
_LINE = re.compile(r"^(?P<pin>[^\s#]+)\s*#\s*via\s+(?P<roots>.+)$")


@dataclass(frozen=True)
class LockEntry:
    """One locked package: its canonical name, version and the roots that need it."""

    name: str
    version: str
    roots: frozenset[str]

    @property
    def pin(self) -> str:
        """The constraint line pip reads: ``name==version``."""
        return f"{self.name}=={self.version}"


def canonical(name: str) -> str:
    """A package name as pip compares them (PEP 503): lower case, runs of ``-_.`` as ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(pin: str) -> tuple[str, str]:
    """The canonical name and version of an exact pin such as ``zenml[local]==0.98.0``.

    Raises:
        ValueError: ``pin`` is not ``name[extras]==version``.
    """
    match = _PIN.match(pin.strip())
    if match is None:
        raise ValueError(f"not an exact pin: {pin!r}")
    return canonical(match.group(1)), match.group(3)


def parse_lock(text: str) -> dict[str, LockEntry]:
    """The lock's entries by canonical name.

    Raises:
        ValueError: a line is neither a comment nor ``name==version  # via root, ...``.
    """
    entries: dict[str, LockEntry] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.match(line.strip())
        if match is None:
            raise ValueError(f"{LOCK_FILE}:{number}: expected `name==version  # via root, ...`")
        name, version = requirement_name(match.group("pin"))
        roots = frozenset(canonical(r.strip()) for r in match.group("roots").split(","))
        entries[name] = LockEntry(name, version, roots)
    return entries


@functools.cache
def load_lock() -> dict[str, LockEntry]:
    """The lock shipped with mlopsgen (read once per process)."""
    text = (resources.files("mlopsgen.targets.core") / LOCK_FILE).read_text(encoding="utf-8")
    return parse_lock(text)


def constraints_for(
    requirements: Iterable[str], lock: dict[str, LockEntry] | None = None
) -> list[LockEntry]:
    """The lock entries a stack with ``requirements`` installs, sorted by name.

    Those are the entries whose roots include one of the requirements. A requirement the lock
    does not know is installed at its pin with its dependencies unlocked (a test keeps the
    reference stacks free of such requirements); one the lock pins differently would make
    pip fail on the user's machine, so it fails the build here.

    Raises:
        RenderError: a requirement is not an exact pin, or the lock pins it differently.
    """
    lock = load_lock() if lock is None else lock
    wanted: set[str] = set()
    for requirement in requirements:
        try:
            name, version = requirement_name(requirement)
        except ValueError as exc:
            raise RenderError(str(exc), path="constraints.txt") from None
        entry = lock.get(name)
        if entry is not None and entry.version != version:
            raise RenderError(
                f"{requirement} disagrees with the stack lock's {entry.pin}: pin the lock's "
                f"version, or regenerate the lock (tests/functional/stack_lock.py)",
                path="constraints.txt",
            )
        wanted.add(name)
    return sorted(
        (e for e in lock.values() if e.roots & wanted or e.name in wanted), key=lambda e: e.name
    )
