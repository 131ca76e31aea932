"""Checks of experiments, business guardrails and live quality monitors.

An experiment is judged on a business metric, randomised by a stable unit and split across
variants that must add up; the planner sizes it from the baseline rate and the effect to
detect, which only makes sense while the treated rate stays a proportion. Guardrails and
quality monitors must name metrics the stack can actually compute.
"""

from __future__ import annotations

import math

from mlopsgen.spec.checks.context import CheckContext, listing, suggest
from mlopsgen.spec.checks.metrics import produces, producible
from mlopsgen.spec.checks.models import check_model_metric
from mlopsgen.spec.checks.serving import check_ensemble_weights
from mlopsgen.spec.models.serving import Experiment
from mlopsgen.spec.source_map import SpecPath

SPLIT_TOLERANCE = 1e-6
"""How far a split may sum from 100 percent."""


def check_experiments(ctx: CheckContext) -> None:
    """E304/E306/E307/E309/E311/E313/E314/E315 for every experiment."""
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
            )
        _check_unit(ctx, (*base, "unit"), experiment.unit)
        _check_variants(ctx, base, experiment)
        _check_split(ctx, base, experiment)
        treated = experiment.baseline_rate * (1 + experiment.minimum_detectable_effect)
        if treated >= 1:
            ceiling = 1 / experiment.baseline_rate - 1
            ctx.error(
                "E315",
                f"baseline_rate {experiment.baseline_rate:g} raised by "
                f"{experiment.minimum_detectable_effect:g} gives {treated:g}, "
                "but a rate cannot reach 1",
                (*base, "minimum_detectable_effect"),
                f"minimum_detectable_effect is relative (0.05 = 5 %); keep it below {ceiling:.4g}",
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
            f"split of experiment {experiment.name!r} sums to {total:g} %, not 100",
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
