"""Checks of the serving section: served models, request fields, cache, routing, decisions.

The generated service wires these names into code paths that only run for some requests (a
rare language, a decline threshold), so a wrong reference would surface in production rather
than in a test. Ensemble weights and thresholds are numbers the decision engine uses as-is,
so their arithmetic is checked here too.
"""

from __future__ import annotations

import math

from mlopsgen.diagnostics import set_value
from mlopsgen.spec.checks.context import CheckContext, listing, suggest
from mlopsgen.spec.source_map import SpecPath

WEIGHT_TOLERANCE = 1e-6
"""How far ensemble weights may sum from 1 (decimal fractions such as 0.1 are inexact)."""


def check_served_models(ctx: CheckContext) -> None:
    """E306/E304: served models exist; request fields and cache keys are columns."""
    serving = ctx.spec.serving
    for i, name in enumerate(serving.models):
        ctx.require_model(name, ("serving", "models", i), "serving.models", listed=serving.models)
    for i, name in enumerate(serving.request_fields or []):
        ctx.require_column(name, ("serving", "request_fields", i), "a request field")
    if serving.cache is None:
        return
    fields = serving.request_fields
    for i, name in enumerate(serving.cache.key):
        path: SpecPath = ("serving", "cache", "key", i)
        if fields is None:
            ctx.require_column(name, path, "a cache key")
        elif name not in fields:
            ctx.error(
                "E304",
                f"cache key {name!r} is not a request field: the cache could not compute it",
                path,
                suggest(name, fields, "request fields"),
            )


def check_routing(ctx: CheckContext) -> None:
    """E304/E306/E308: the routing key, detector, partitioned targets and fallback fit."""
    routing = ctx.spec.serving.routing
    if routing is None:
        return
    base: SpecPath = ("serving", "routing")
    key_known = ctx.require_column(routing.key, (*base, "key"), "the routing key") is not None
    if routing.detector is not None:
        path: SpecPath = (*base, "detector")
        detector = ctx.require_model(routing.detector, path, "the routing detector")
        if detector is not None and detector.task != "language_identification":
            detectors = [m.name for m in ctx.models.values() if m.task == "language_identification"]
            ctx.error(
                "E308",
                f"routing detector {detector.name!r} is a {detector.task} model, "
                "not language_identification",
                path,
                f"language identification models: {listing(detectors)}"
                if detectors
                else "add a model with `task: language_identification` to detect the key",
            )
    partitioned = [m.name for m in ctx.models.values() if m.partition_by == routing.key]
    for i, name in enumerate(routing.targets):
        path = (*base, "targets", i)
        target = ctx.require_model(name, path, "a routing target")
        if key_known and target is not None and target.partition_by != routing.key:
            by = f"by {target.partition_by!r}" if target.partition_by else "not partitioned"
            ctx.error(
                "E308",
                f"routing target {name!r} is {by}, but requests are routed by {routing.key!r}",
                path,
                f"set `partition_by: {routing.key}` on {name!r}; "
                f"models partitioned by {routing.key!r}: {listing(partitioned)}",
                fix=[set_value(("models", _index_of(ctx, name), "partition_by"), routing.key)],
            )
    if routing.fallback is not None:
        path = (*base, "fallback")
        fallback = ctx.require_model(routing.fallback, path, "the routing fallback")
        if fallback is not None and fallback.partition_by is not None:
            ctx.error(
                "E308",
                f"routing fallback {fallback.name!r} is partitioned by "
                f"{fallback.partition_by!r}: it cannot answer for key values without a partition",
                path,
                "name a model without `partition_by:` as the fallback",
            )


def _index_of(ctx: CheckContext, model: str) -> int:
    """Where the (first) model of this name is defined in ``models:``."""
    return [m.name for m in ctx.spec.models].index(model)


def check_ensemble_weights(
    ctx: CheckContext, weights: dict[str, float], base: SpecPath, *, served_only: bool
) -> None:
    """E306/E308/E309: members are (served) models, weights positive and summing to 1."""
    served = ctx.spec.serving.models
    for name, weight in weights.items():
        path: SpecPath = (*base, name)
        model = ctx.require_model(name, path, "an ensemble member", key=True)
        if model is not None and served_only and name not in served:
            ctx.error(
                "E308",
                f"ensemble member {name!r} is not in serving.models, so it is never called",
                path,
                f"add {name!r} to serving.models ({listing(served)})",
                key=True,
                fix=[set_value(("serving", "models"), [*served, name])],
            )
        if weight <= 0:
            ctx.error(
                "E309",
                f"ensemble weight of {name!r} is {weight:g}; weights must be above 0",
                path,
                "remove the member instead of giving it weight 0",
            )
    total = math.fsum(weights.values())
    if abs(total - 1) > WEIGHT_TOLERANCE:
        scaled = _scaled(weights, total)
        shown = ", ".join(f"{name}: {weight:g}" for name, weight in scaled.items())
        ctx.error(
            "E309",
            f"ensemble weights sum to {total:g}, not 1",
            base,
            f"scale the weights so they add up to 1, keeping their ratios: {shown}"
            if scaled
            else "give each member a weight above 0, adding up to 1",
            fix=[set_value((*base, name), weight) for name, weight in scaled.items()],
        )


def _scaled(weights: dict[str, float], total: float) -> dict[str, float]:
    """Weights divided by their sum, to 4 decimals, the last taking the rounding remainder.

    Empty when a weight is not positive: then scaling is not the fix (E309 says so apart).
    """
    if not weights or total <= 0 or any(w <= 0 for w in weights.values()):
        return {}
    names = list(weights)
    scaled = {name: round(weights[name] / total, 4) for name in names[:-1]}
    scaled[names[-1]] = round(1 - math.fsum(scaled.values()), 4)
    return scaled


def check_decision(ctx: CheckContext) -> None:
    """E306/E308/E309/E310: the decision engine's ensemble, anomaly model and thresholds."""
    decision = ctx.spec.serving.decision
    if decision is None:
        return
    base: SpecPath = ("serving", "decision")
    check_ensemble_weights(ctx, decision.ensemble, (*base, "ensemble"), served_only=True)
    if decision.anomaly_model is not None:
        path: SpecPath = (*base, "anomaly_model")
        model = ctx.require_model(decision.anomaly_model, path, "the decision's anomaly model")
        if model is not None and model.task != "anomaly_detection":
            detectors = [m.name for m in ctx.models.values() if m.task == "anomaly_detection"]
            ctx.error(
                "E308",
                f"anomaly_model {model.name!r} is a {model.task} model, not anomaly_detection",
                path,
                f"anomaly detection models: {listing(detectors)}"
                if detectors
                else "add a model with `task: anomaly_detection`, or remove anomaly_model",
            )
    for action, threshold in decision.thresholds.items():
        if not 0 < threshold < 1:
            ctx.error(
                "E310",
                f"threshold for {action!r} is {threshold:g}; scores lie between 0 and 1",
                (*base, "thresholds", action),
                f"a percentage is written as a fraction: `{action}: {threshold / 100:g}`"
                if 1 < threshold < 100
                else "use a value strictly between 0 and 1, e.g. 0.9",
                fix=[set_value((*base, "thresholds", action), threshold / 100)]
                if 1 < threshold < 100
                else [],
            )
