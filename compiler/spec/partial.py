"""A spec whose valid sections are checked even when other sections are not.

Shape validation of the whole document fails as soon as one key is wrong, and a loader that
stopped there would show a typo in ``training`` alone, hiding an unknown model in
``serving`` until the typo is fixed. Instead each top-level section that had no shape error
is validated on its own, the sections that failed are replaced by :class:`Unvalidated`
stand-ins, and every cross-field check runs: a check that touches a stand-in raises
:class:`SectionInvalid` and is skipped with whatever it had found, so only checks whose inputs
all validated report, and independent mistakes are reported together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from functools import cache
from typing import Annotated, Any, NoReturn, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from mlopsgen.diagnostics import Diagnostic
from mlopsgen.spec.models.root import Spec

_T = TypeVar("_T")


class SectionInvalid(Exception):
    """A cross-field check read a section that failed shape validation."""

    def __init__(self, section: str) -> None:
        self.section = section
        super().__init__(f"section {section!r} did not validate")


class Unvalidated:
    """Stands in for a section (or an index built from one) that failed shape validation.

    Any use of it (attribute, iteration, membership, truth) raises :class:`SectionInvalid`,
    so a check cannot mistake an invalid section for an empty one and report false errors.
    """

    __slots__ = ("section",)

    def __init__(self, section: str) -> None:
        self.section = section

    def _refuse(self) -> NoReturn:
        raise SectionInvalid(self.section)

    def __getattr__(self, name: str) -> Any:
        self._refuse()

    def __iter__(self) -> Iterator[Any]:
        self._refuse()

    def __len__(self) -> int:
        self._refuse()

    def __bool__(self) -> bool:
        self._refuse()

    def __contains__(self, item: object) -> bool:
        self._refuse()

    def __getitem__(self, key: object) -> Any:
        self._refuse()


def guarded(build: Callable[[], _T]) -> _T:
    """``build()``, or a stand-in when it reads a section that did not validate."""
    try:
        return build()
    except SectionInvalid as exc:
        return cast(_T, Unvalidated(exc.section))


@cache
def _section_adapter(name: str) -> TypeAdapter[Any]:
    """A validator for one top-level section, with the constraints the root model gives it."""
    info = Spec.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])


def failed_sections(diagnostics: list[Diagnostic]) -> Set[str] | None:
    """The top-level keys shape errors point into; None when an error concerns the whole spec."""
    if any(not d.path for d in diagnostics):
        return None
    return {str(d.path[0]) for d in diagnostics}


def partial_spec(data: dict[str, Any], failed: Set[str]) -> Spec:
    """A :class:`Spec` of the sections that validate; the others are :class:`Unvalidated`."""
    sections: dict[str, Any] = {}
    for name, info in Spec.model_fields.items():
        key = info.alias or name
        if key in failed:
            sections[name] = Unvalidated(key)
        elif key not in data:
            required = info.is_required()
            sections[name] = (
                Unvalidated(key) if required else info.get_default(call_default_factory=True)
            )
        else:
            try:
                sections[name] = _section_adapter(name).validate_python(data[key])
            except ValidationError:
                sections[name] = Unvalidated(key)
    return Spec.model_construct(**sections)
