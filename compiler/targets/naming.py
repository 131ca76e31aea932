"""Unique names within one namespace: two inputs that sanitise alike get ``_2``, ``_3``.

Two different inputs can sanitise to the same name; :class:`NameTable` is the one place that
resolves that (``_2``, ``_3`` in input order) and reports it as data, so collisions can become
diagnostics. Written ahead of the targets that name many things from spec text (Python modules
of pipelines and services, Terraform resources).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from mlopsgen.plan.names import Identifier

__all__ = ["NameCollision", "NameTable"]

IdentT = TypeVar("IdentT", bound=Identifier)


@dataclass(frozen=True)
class NameCollision:
    """Inputs that sanitised to the same name (or to a reserved one) and what each received.

    Attributes:
        namespace: the table's namespace, e.g. ``"python module"``.
        wanted: the name every key in the group sanitised to.
        keys: the keys, in the order they were claimed.
        assigned: the name each key received, aligned with ``keys``.
        reserved: whether ``wanted`` was reserved by the table itself.
    """

    namespace: str
    wanted: str
    keys: tuple[Hashable, ...]
    assigned: tuple[str, ...]
    reserved: bool = False

    def describe(self) -> str:
        """One line for a diagnostic: which inputs clashed and how they were renamed."""
        pairs = ", ".join(f"{k!r} -> {a}" for k, a in zip(self.keys, self.assigned, strict=True))
        if self.reserved:
            why = "is reserved"
        elif len(self.keys) > 1:
            why = "is wanted by several inputs"
        else:
            why = "is already taken"
        return f"{self.namespace} name {self.wanted!r} {why}: {pairs}"


class NameTable(Generic[IdentT]):
    """Unique names of one kind within one namespace, assigned in input order.

    The first input that wants a name gets it; later ones get ``_2``, ``_3`` (``-2`` for
    Kubernetes names), skipping anything already taken. Comparison ignores case, so two names
    never differ only by case (they would clash as files on macOS or Windows). Claiming the
    same key again returns the same name, so call order between templates does not matter
    once the planner has claimed every key in spec order.
    """

    def __init__(self, kind: type[IdentT], namespace: str, *, reserved: Iterable[str] = ()):
        self.kind = kind
        self.namespace = namespace
        self._reserved = frozenset(name.casefold() for name in reserved)
        self._taken: set[str] = set(self._reserved)
        self._names: dict[Hashable, IdentT] = {}
        self._wanted: dict[Hashable, IdentT] = {}
        self._texts: dict[Hashable, str] = {}

    def claim(self, key: Hashable, text: str | None = None) -> IdentT:
        """The unique name for ``key``, sanitised from ``text`` (default: ``str(key)``).

        Raises:
            ValueError: if ``key`` was claimed before from a different text, which would make
                the name depend on which caller came first.
        """
        source = str(key) if text is None else text
        if key in self._names:
            if self._texts[key] != source:
                raise ValueError(
                    f"{self.namespace} key {key!r} claimed from {self._texts[key]!r} and {source!r}"
                )
            return self._names[key]
        wanted = self.kind.from_text(source)
        name, number = wanted, 1
        while name.casefold() in self._taken:
            number += 1
            name = wanted.with_suffix(number)
        self._taken.add(name.casefold())
        self._names[key] = name
        self._wanted[key] = wanted
        self._texts[key] = source
        return name

    def __getitem__(self, key: Hashable) -> IdentT:
        return self._names[key]

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def items(self) -> list[tuple[Hashable, IdentT]]:
        """``(key, name)`` pairs in claim order."""
        return list(self._names.items())

    @property
    def collisions(self) -> tuple[NameCollision, ...]:
        """Every group of keys that did not get the name it sanitised to, in claim order."""
        groups: dict[str, list[Hashable]] = {}
        for key, wanted in self._wanted.items():
            groups.setdefault(wanted.casefold(), []).append(key)
        found = []
        for folded, keys in groups.items():
            renamed = any(self._names[k] != self._wanted[k] for k in keys)
            if len(keys) > 1 or renamed:
                found.append(
                    NameCollision(
                        namespace=self.namespace,
                        wanted=str(self._wanted[keys[0]]),
                        keys=tuple(keys),
                        assigned=tuple(str(self._names[k]) for k in keys),
                        reserved=folded in self._reserved,
                    )
                )
        return tuple(found)
