"""Checks of names and data references: duplicates, sources, entities and feature views.

Names are the handles every later stage links by (a model name becomes a pipeline, a service
route and a registry entry), so two things with one name are an error rather than "last one
wins". Columns referenced by sources, entities and views must exist in the schema that will
actually hold them, or the generated feature repository would fail at materialisation time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mlopsgen.diagnostics import delete_key, set_value
from mlopsgen.spec.checks.context import CheckContext, suggest, use_closest
from mlopsgen.spec.models.data import FeatureView, Source
from mlopsgen.spec.source_map import SpecPath

_NUMERIC = ("integer", "float", "bool")
_AGG_TYPES: dict[str, tuple[str, ...]] = {
    "sum": _NUMERIC,
    "mean": _NUMERIC,
    "stddev": _NUMERIC,
    "min": (*_NUMERIC, "timestamp"),
    "max": (*_NUMERIC, "timestamp"),
}
"""Column types each numeric aggregation accepts; count, count_distinct and last take any."""


def _named(ctx: CheckContext) -> Iterable[tuple[str, str, list[tuple[str, SpecPath]]]]:
    """Every family of names that must be unique: (singular noun, plural noun, names)."""
    spec = ctx.spec
    families: list[tuple[str, str, Sequence[Any], SpecPath]] = [
        ("source", "sources", spec.data.sources, ("data", "sources")),
        ("entity", "entities", spec.features.entities, ("features", "entities")),
        ("feature view", "feature views", spec.features.views, ("features", "views")),
        ("model", "models", spec.models, ("models",)),
        ("business metric", "business metrics", spec.business.metrics, ("business", "metrics")),
        ("experiment", "experiments", spec.serving.experiments, ("serving", "experiments")),
    ]
    for v, view in enumerate(spec.features.views):
        noun = f"feature of view {view.name!r}"
        families.append(
            (noun, "features of a view", view.features, ("features", "views", v, "features"))
        )
    if spec.serving.decision is not None:
        families.append(
            ("rule", "rules", spec.serving.decision.rules, ("serving", "decision", "rules"))
        )
    for noun, plural, items, base in families:
        yield noun, plural, [(item.name, (*base, i, "name")) for i, item in enumerate(items)]


def check_duplicate_names(ctx: CheckContext) -> None:
    """E301: a name defined twice; points at the second and names the first's line."""
    for noun, plural, names in _named(ctx):
        first: dict[str, SpecPath] = {}
        for name, path in names:
            if name not in first:
                first[name] = path
                continue
            line = ctx.line_of(first[name])
            ctx.error(
                "E301",
                f"duplicate {noun} name {name!r} (first defined at line {line})",
                path,
                f"names of {plural} must be unique: rename or remove one of them",
            )


def check_sources(ctx: CheckContext) -> None:
    """E304/E307/E334: event_time is a timestamp column, the label a column, a rate bool."""
    for s, source in enumerate(ctx.spec.data.sources):
        own = list(source.schema_)
        base: SpecPath = ("data", "sources", s)
        if source.event_time is not None:
            column = source.schema_.get(source.event_time)
            if column is None:
                ctx.error(
                    "E304",
                    f"event_time {source.event_time!r} is not a column of source {source.name!r}",
                    (*base, "event_time"),
                    suggest(source.event_time, own, "columns"),
                )
            elif column.type != "timestamp":
                timestamps = [n for n, c in source.schema_.items() if c.type == "timestamp"]
                ctx.error(
                    "E307",
                    f"event_time {source.event_time!r} is a {column.type} column, not a timestamp",
                    (*base, "event_time"),
                    f"name a timestamp column: {', '.join(timestamps)}"
                    if timestamps
                    else f"declare `{source.event_time}: {{type: timestamp, role: timestamp}}`",
                    fix=[set_value((*base, "event_time"), timestamps[0])]
                    if len(timestamps) == 1
                    else [],
                )
        if source.label is not None and source.label not in source.schema_:
            ctx.error(
                "E304",
                f"label {source.label!r} is not a column of source {source.name!r}",
                (*base, "label"),
                suggest(source.label, own, "columns"),
            )
        _check_label_rate(ctx, base, source)


def _check_label_rate(ctx: CheckContext, base: SpecPath, source: Source) -> None:
    """E334: a base rate is the share of true labels, so it needs a bool label."""
    if source.label_rate is None:
        return
    column = source.schema_.get(source.label) if source.label is not None else None
    if (column is not None and column.type == "bool") or (source.label and column is None):
        return  # a bool label, or a label E304 already reports missing
    what = (
        f"label {source.label!r} is a {column.type} column"
        if column is not None
        else "the source has no label"
    )
    ctx.error(
        "E334",
        f"label_rate of source {source.name!r} is the share of true labels, but {what}",
        (*base, "label_rate"),
        "remove label_rate (it applies to a bool label only)",
        fix=[delete_key((*base, "label_rate"))],
    )


def check_entities(ctx: CheckContext) -> None:
    """E304: every entity key is a column of some source, or features could never join."""
    for e, entity in enumerate(ctx.spec.features.entities):
        path: SpecPath = ("features", "entities", e, "key")
        ctx.require_column(entity.key, path, f"the key of entity {entity.name!r}")


def check_views(ctx: CheckContext) -> None:
    """E302/E303/E304/E307/E318: views point at real entities, sources and columns."""
    for v, view in enumerate(ctx.spec.features.views):
        base: SpecPath = ("features", "views", v)
        entity = ctx.entities.get(view.entity)
        if entity is None:
            ctx.error(
                "E303",
                f"feature view {view.name!r} names unknown entity {view.entity!r}",
                (*base, "entity"),
                suggest(view.entity, list(ctx.entities), "entities"),
                fix=use_closest((*base, "entity"), view.entity, list(ctx.entities)),
            )
        source = ctx.sources.get(view.source)
        if source is None:
            ctx.error(
                "E302",
                f"feature view {view.name!r} reads unknown source {view.source!r}",
                (*base, "source"),
                suggest(view.source, list(ctx.sources), "sources"),
                fix=use_closest((*base, "source"), view.source, list(ctx.sources)),
            )
            continue
        if entity is not None and entity.key not in source.schema_:
            ctx.error(
                "E304",
                f"source {source.name!r} has no column {entity.key!r}, the key of entity "
                f"{entity.name!r}: view {view.name!r} cannot group its rows by entity",
                (*base, "entity"),
                f"read a source that carries {entity.key!r}, or add the column to {source.name!r}",
            )
        if view.compute == "stream" and source.kind != "stream":
            ctx.error(
                "E318",
                f"view {view.name!r} is computed from a stream, but source {source.name!r} "
                f"is a {source.kind}",
                (*base, "compute"),
                "use `compute: batch`, or read a source of kind stream",
                fix=[set_value((*base, "compute"), "batch")],
            )
        _check_feature_columns(ctx, base, view, source)


def _check_feature_columns(
    ctx: CheckContext, base: SpecPath, view: FeatureView, source: Source
) -> None:
    """Each aggregated column exists in the view's source and suits its aggregation."""
    for f, feature in enumerate(view.features):
        if feature.column is None:
            continue
        path: SpecPath = (*base, "features", f, "column")
        column = source.schema_.get(feature.column)
        if column is None:
            ctx.error(
                "E304",
                f"feature {feature.name!r} aggregates {feature.column!r}, which is not a column "
                f"of source {source.name!r}",
                path,
                suggest(feature.column, list(source.schema_), "columns"),
                fix=use_closest(path, feature.column, list(source.schema_)),
            )
            continue
        accepted = _AGG_TYPES.get(feature.agg)
        if accepted is not None and column.type not in accepted:
            ctx.error(
                "E307",
                f"aggregation {feature.agg!r} of feature {feature.name!r} needs a numeric "
                f"column, but {feature.column!r} is {column.type}",
                path,
                f"use `agg: count_distinct` or `agg: last` for {column.type} columns, "
                "or aggregate a numeric column",
            )
