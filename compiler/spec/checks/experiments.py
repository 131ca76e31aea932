"""Checks of experiments, business guardrails and live quality monitors.

An experiment is judged on a business metric, randomised by a stable unit and split across
variants that must add up; the planner sizes it from the baseline rate and the effect to
detect, which only makes sense while the treated rate stays a proportion. Guardrails and
quality monitors must name metrics the stack can actually compute.
"""

from __future__ import annotations

import math

from mlopsgen.diagnostics import rename_key, set_value
from mlopsgen.spec.checks.context import CheckContext, closest, listing, suggest, use_closest
from mlopsgen.spec.checks.metrics import produces, producible
from mlopsgen.spec.checks.models import check_model_metric
from mlopsgen.spec.checks.serving import check_ensemble_weights
from mlopsgen.spec.models.serving import Effect, Experiment
from mlopsgen.spec.source_map import SpecPath

SPLIT_TOLERANCE = 1e-6
"""How far a split may sum from 100 percent."""


def check_experiments(ctx: CheckContext) -> None:
    """E304/E306/E307/E309/E311/E313/E314/E315/E330/E331/E332 for every experiment."""
    for x, experiment in enumerate(ctx.spec.serving.experiments):
        base: SpecPath = ("serving", "experiments", x)
        if experiment.metric not in ctx.business_metrics:
            ctx.error(
                "E311",
                f"experiment {experiment.name!r} is judged on {experiment.metric!r}, "
                "which is not a business metric",
                (*base, "metric"),
                suggest(experiment.metric, ctx.business_metrics, "business metrics")
                + " (declare it under business.metrics)",
                fix=use_closest((*base, "metric"), experiment.metric, ctx.business_metrics),
            )
        _check_unit(ctx, (*base, "unit"), experiment.unit)
        _check_variants(ctx, base, experiment)
        _check_split(ctx, base, experiment)
        _check_metric(ctx, base, experiment)
        _check_daily_units(ctx, base, experiment)


def effect_size(experiment: Experiment) -> float | None:
    """The absolute change δ to detect, or None when the spec does not say which kind."""
    effect = experiment.minimum_detectable_effect
    if not isinstance(effect, Effect):
        return None
    if effect.absolute is not None:
        return effect.absolute
    baseline = experiment.baseline_rate
    if baseline is None:
        baseline = experiment.baseline_mean
    return abs(baseline or 0) * (effect.relative or 0)


def _check_metric(ctx: CheckContext, base: SpecPath, experiment: Experiment) -> None:
    """E330/E331/E315: the effect says its kind; the baseline says the metric's kind."""
    effect = experiment.minimum_detectable_effect
    if not isinstance(effect, Effect):
        ctx.error(
            "E330",
            f"minimum_detectable_effect must say relative or absolute: write "
            f"{{relative: {effect:g}}} ({effect * 100:g} % of the baseline) or "
            f"{{absolute: {effect:g}}} (in the metric's unit)",
            (*base, "minimum_detectable_effect"),
            "a bare number was read as relative before; write {relative: ...} to keep that",
            fix=[set_value((*base, "minimum_detectable_effect"), {"relative": effect})],
        )
    rate = experiment.baseline_rate is not None
    mean = experiment.baseline_mean is not None or experiment.baseline_stddev is not None
    complete_mean = experiment.baseline_mean is not None and experiment.baseline_stddev is not None
    if rate == mean or (mean and not complete_mean):
        ctx.error(
            "E331",
            f"experiment {experiment.name!r} must give its metric's baseline as a rate "
            "(baseline_rate) or as a mean (baseline_mean and baseline_stddev), one of the two",
            base,
            "a proportion per unit (conversion, CTR) is a rate; an amount per unit (USD lost "
            "per user) is a mean with its standard deviation from history",
        )
        return
    delta = effect_size(experiment)
    if rate and delta is not None and experiment.baseline_rate is not None:
        treated = experiment.baseline_rate + delta
        if treated >= 1:
            ctx.error(
                "E315",
                f"baseline_rate {experiment.baseline_rate:g} raised by {delta:g} gives "
                f"{treated:g}, but a rate cannot reach 1",
                (*base, "minimum_detectable_effect"),
                f"keep the absolute change below {1 - experiment.baseline_rate:.4g}",
            )


def _check_daily_units(ctx: CheckContext, base: SpecPath, experiment: Experiment) -> None:
    """E332: distinct units per day are stated or follow from the unit entity's cardinality."""
    column = ctx.columns.get(experiment.unit)
    if experiment.daily_units is not None or column is None:
        return  # an unknown unit is reported once, as E304
    if column.field.role not in ("id", "entity"):
        return  # a unit of the wrong role is reported once, as E307
    if any(e.key == experiment.unit for e in ctx.spec.features.entities):
        return
    ctx.error(
        "E332",
        f"experiment {experiment.name!r} needs daily_units, the distinct {experiment.unit} "
        f"values per day: sample sizes count units, not requests, and no entity keyed by "
        f"{experiment.unit} declares a cardinality",
        base,
        f"add `daily_units: <distinct {experiment.unit} per day>`, or declare an entity with "
        f"`key: {experiment.unit}` and its cardinality",
    )


def _check_unit(ctx: CheckContext, path: SpecPath, unit: str) -> None:
    """The randomisation unit is an id or entity column, so assignment stays sticky."""
    column = ctx.require_column(unit, path, "the randomisation unit")
    if column is None or column.field.role in ("id", "entity"):
        return
    units = [c.name for c in ctx.columns.values() if c.field.role in ("id", "entity")]
    ctx.error(
        "E307",
        f"experiment unit {unit!r} has role {column.field.role}; units are id or entity columns "
        "so that each unit always sees the same variant",
        path,
        f"id and entity columns: {listing(units)}",
    )


def _check_variants(ctx: CheckContext, base: SpecPath, experiment: Experiment) -> None:
    for name, variant in experiment.variants.items():
        path: SpecPath = (*base, "variants", name)
        if variant.model is not None:
            ctx.require_model(variant.model, (*path, "model"), f"variant {name!r}")
        if variant.ensemble is not None:
            check_ensemble_weights(ctx, variant.ensemble, (*path, "ensemble"), served_only=True)


def _check_split(ctx: CheckContext, base: SpecPath, experiment: Experiment) -> None:
    variants = list(experiment.variants)
    for name in experiment.split:
        if name not in experiment.variants:
            ctx.error(
                "E313",
                f"split names {name!r}, which is not a variant of experiment {experiment.name!r}",
                (*base, "split", name),
                suggest(name, variants, "variants"),
                key=True,
                fix=[rename_key((*base, "split", name), close)]
                if (close := closest(name, variants)) is not None
                else [],
            )
    for name in variants:
        if name not in experiment.split:
            ctx.error(
                "E313",
                f"variant {name!r} has no share in the split of experiment {experiment.name!r}",
                (*base, "variants", name),
                f"add `{name}: <percent>` to split",
                key=True,
            )
    total = math.fsum(experiment.split.values())
    if abs(total - 100) > SPLIT_TOLERANCE:
        ctx.error(
            "E314",
            f"split of experiment {experiment.name!r} sums to {total:.10g} %, not 100",
            (*base, "split"),
            "give each variant its percent of the experiment's traffic, adding up to 100; "
            "traffic_percent sets the share of all traffic enrolled",
        )


def check_guardrails(ctx: CheckContext) -> None:
    """E311: a guardrail names a business metric or a metric some model produces."""
    tasks = [m.task for m in ctx.models.values()]
    for g, guardrail in enumerate(ctx.spec.business.guardrails):
        metric = guardrail.metric
        if metric in ctx.business_metrics or any(produces(t, metric) for t in tasks):
            continue
        known = [*ctx.business_metrics, *producible(tasks)]
        ctx.error(
            "E311",
            f"guardrail metric {metric!r} is neither a business metric nor produced by any model",
            ("business", "guardrails", g, "metric"),
            suggest(metric, known, "known metrics"),
            fix=use_closest(("business", "guardrails", g, "metric"), metric, known),
        )


def check_quality_monitors(ctx: CheckContext) -> None:
    """E306/E312/E304: quality monitors watch a real model on a metric of its task."""
    for q, check in enumerate(ctx.spec.monitoring.quality):
        base: SpecPath = ("monitoring", "quality", q)
        model = ctx.require_model(check.model, (*base, "model"), "a quality monitor")
        if model is not None:
            check_model_metric(ctx, model, check.metric, (*base, "metric"), "quality")
        if check.by is not None:
            ctx.require_column(check.by, (*base, "by"), "the slice of a quality monitor")
