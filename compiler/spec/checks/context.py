"""Shared state of the cross-field checks: indexes of the spec's names and a diagnostic sink.

Every check module receives one :class:`CheckContext`. It indexes what references point at
(columns, models, views, entities, sources, business metrics) once, so each check stays a
short loop, and it turns a spec path into a positioned diagnostic so no check has to deal with
the source map. The first definition of a duplicated name wins: references still resolve and
the duplicate itself is reported once, by the duplicate-name check.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from mlopsgen.diagnostics import (
    Diagnostic,
    Edit,
    Span,
    delete_key,
    error,
    rename_key,
    set_value,
    warning,
)
from mlopsgen.spec.models.data import Entity, FeatureView, FieldSpec, Source
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.partial import guarded
from mlopsgen.spec.source_map import SourceMap, SpecPath

_T = TypeVar("_T")

MAX_LISTED = 12
"""Longest list of valid names printed in a hint before it is cut short."""


@dataclass(frozen=True)
class Column:
    """A source column and the source declaring it (the first, when two share a name)."""

    name: str
    field: FieldSpec
    source: str


def listing(names: Iterable[str]) -> str:
    """Comma-separated names, cut short after :data:`MAX_LISTED` so hints stay one line."""
    ordered = list(dict.fromkeys(names))
    shown = ", ".join(ordered[:MAX_LISTED])
    if len(ordered) > MAX_LISTED:
        shown += f", ... ({len(ordered)} in all)"
    return shown or "(none)"


def suggest(name: str, candidates: Sequence[str], what: str) -> str:
    """A did-you-mean for a misspelt name, followed by the valid names.

    Args:
        name: the name as written.
        candidates: every name that would have been valid here.
        what: the plural noun for the list, e.g. ``"models"``.

    Returns:
        A hint such as ``did you mean 'ranker'? models: two_tower, ranker``.
    """
    close = closest(name, candidates)
    guess = f"did you mean {close!r}? " if close else ""
    if not candidates:
        return f"{guess}the spec defines no {what}"
    return f"{guess}{what}: {listing(candidates)}"


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The valid name a misspelt ``name`` most likely meant, if one is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in candidates}
    return lowered.get(name.lower())


def use_closest(path: SpecPath, name: str, candidates: Sequence[str]) -> list[Edit]:
    """The did-you-mean as an edit: write the close name at ``path`` (none if nothing is close)."""
    close = closest(name, candidates)
    return [set_value(path, close)] if close is not None else []


def _rename_to_closest(path: SpecPath, name: str, candidates: Sequence[str]) -> list[Edit]:
    """The did-you-mean for a name written as a mapping key: rename the key."""
    close = closest(name, candidates)
    return [rename_key(path, close)] if close is not None else []


def _first_by_name(items: Iterable[_T], name_of: str = "name") -> dict[str, _T]:
    """Index items by name, keeping the first of duplicates (the duplicate is reported apart)."""
    index: dict[str, _T] = {}
    for item in items:
        index.setdefault(getattr(item, name_of), item)
    return index


def _columns(spec: Spec) -> dict[str, Column]:
    """Every column of every source by name, the first declaration winning."""
    columns: dict[str, Column] = {}
    for source in spec.data.sources:
        for name, column in source.schema_.items():
            columns.setdefault(name, Column(name, column, source.name))
    return columns


@dataclass
class CheckContext:
    """The spec, its source map, name indexes and the diagnostics collected so far."""

    spec: Spec
    source_map: SourceMap
    diagnostics: list[Diagnostic] = field(default_factory=list)
    columns: dict[str, Column] = field(init=False)
    sources: dict[str, Source] = field(init=False)
    models: dict[str, ModelSpec] = field(init=False)
    views: dict[str, FeatureView] = field(init=False)
    entities: dict[str, Entity] = field(init=False)
    business_metrics: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        # An index built from a section that did not validate is a stand-in that refuses
        # every use, so a check reading it is skipped rather than reporting false errors.
        self.columns = guarded(lambda: _columns(spec))
        self.sources = guarded(lambda: _first_by_name(spec.data.sources))
        self.models = guarded(lambda: _first_by_name(spec.models))
        self.views = guarded(lambda: _first_by_name(spec.features.views))
        self.entities = guarded(lambda: _first_by_name(spec.features.entities))
        self.business_metrics = guarded(lambda: tuple(m.name for m in spec.business.metrics))

    def span(self, path: SpecPath, *, key: bool = False) -> Span | None:
        """The span of the value at ``path`` (or of its key, for names that are dict keys)."""
        return self.source_map.key_span(path) if key else self.source_map.value_span(path)

    def error(
        self,
        code: str,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        *,
        key: bool = False,
        fix: Sequence[Edit] = (),
    ) -> None:
        """Record an error positioned at the value (or key) at ``path``."""
        span = self.span(path, key=key)
        self.diagnostics.append(error(code, message, span, hint, path, fix))

    def warn(
        self,
        code: str,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        *,
        key: bool = False,
        fix: Sequence[Edit] = (),
    ) -> None:
        """Record a warning: it is reported but does not stop loading."""
        span = self.span(path, key=key)
        self.diagnostics.append(warning(code, message, span, hint, path, fix))

    def line_of(self, path: SpecPath) -> int:
        """The line ``path`` is written on, for messages that point at an earlier definition."""
        return self.source_map.line_of(path)

    def column_names(self) -> list[str]:
        """Every column of every source, in declaration order."""
        return list(self.columns)

    def require_column(self, name: str, path: SpecPath, use: str) -> Column | None:
        """Resolve a column reference, reporting E304 with a did-you-mean when it is unknown.

        Args:
            name: the column name as written.
            path: where it is written.
            use: what the reference is for, e.g. ``"the target of model 'ranker'"``.
        """
        column = self.columns.get(name)
        if column is None:
            self.error(
                "E304",
                f"unknown column {name!r} ({use})",
                path,
                suggest(name, self.column_names(), "columns"),
                fix=use_closest(path, name, self.column_names()),
            )
        return column

    def require_model(
        self,
        name: str,
        path: SpecPath,
        use: str,
        *,
        key: bool = False,
        listed: Sequence[str] = (),
    ) -> ModelSpec | None:
        """Resolve a model reference, reporting E306 with a did-you-mean when it is unknown.

        ``listed`` holds the names of the list the reference sits in: when the close name is
        already there, the fix removes the misspelt entry instead of writing a duplicate.
        """
        model = self.models.get(name)
        if model is None:
            candidates = list(self.models)
            hint = suggest(name, candidates, "models")
            close = closest(name, candidates)
            if key:
                fix = _rename_to_closest(path, name, candidates)
            elif close is not None and close in listed:
                fix = [delete_key(path)]
                hint += f" ({close!r} is listed already: remove this entry)"
            else:
                fix = use_closest(path, name, candidates)
            self.error("E306", f"unknown model {name!r} ({use})", path, hint, key=key, fix=fix)
        return model
