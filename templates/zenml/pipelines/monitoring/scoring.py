"""A model's drift over one window: a score per compared feature, the maximum, the verdict.

The model's score is the largest of its features' scores: one input that moved past the band
is enough to make the model's view of the world stale, and an average would let many steady
inputs hide it. The verdict follows the plan's bands: ``ok`` up to ``warn``, ``warn`` up to
``alert``, then ``alert``; ``insufficient`` when the window holds fewer rows than the plan's
``sample_rows`` (at fewer rows chance alone scores more than a tenth of the warning band, so
nothing is retrained on noise). A model without a production version has no reference
(``no_reference``), and one with no logged input to compare (an image model) is
``not_monitored``: both say so rather than score zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipelines.monitoring.features import compared_features, derive
from pipelines.monitoring.reference import Reference
from pipelines.monitoring.statistics import category_score, numeric_score
from pipelines.stack_plan import ModelSpec, StackPlan

__all__ = ["VERDICTS", "band", "logged_fields", "score_model"]

VERDICTS = ("ok", "warn", "alert", "insufficient", "no_reference", "not_monitored")


def logged_fields(plan: StackPlan) -> list[str]:
    """The request fields whose values the service logs (every field but images)."""
    fields = plan.raw["serving"].get("request_fields") or []
    return [str(f["name"]) for f in fields if f["type"] != "image"]


def band(score: float, warn: float, alert: float) -> str:
    """``ok``, ``warn`` or ``alert``: the band ``score`` falls in (a bound is in the lower one)."""
    if score > alert:
        return "alert"
    return "warn" if score > warn else "ok"


def _score(method: str, bins: int, reference: Any, window: Any, numeric: bool) -> float | None:
    if len(reference) == 0 or len(window) == 0:
        return None
    if numeric:
        return numeric_score(method, np.asarray(reference), np.asarray(window), bins)
    return category_score(method, list(reference), list(window))


def score_model(
    plan: StackPlan, model: ModelSpec, window: pd.DataFrame, reference: Reference | None
) -> dict[str, Any]:
    """The model's entry of the drift report (see the module docstring)."""
    drift: Mapping[str, Any] = plan.raw["monitoring"]["drift"]
    method, bins = str(drift["method"]), int(drift["bins"])
    compared, skipped = compared_features(plan, model, logged_fields(plan))
    entry: dict[str, Any] = {
        "model": model.name,
        "method": method,
        "rows": len(window),
        "sample_rows": int(drift["sample_rows"]),
        "reference_version": reference.version if reference is not None else None,
        "reference_rows": len(reference.rows) if reference is not None else 0,
        "features": {},
        "skipped": dict(sorted(skipped.items())),
        "max_score": None,
        "max_feature": None,
    }
    if not compared:
        return {**entry, "verdict": "not_monitored"}
    if reference is None:
        return {**entry, "verdict": "no_reference"}
    scores: dict[str, float] = {}
    for feature in compared:
        value = _score(
            method, bins, derive(feature, reference.rows), derive(feature, window), feature.numeric
        )
        if value is not None:
            scores[feature.name] = round(value, 6) if math.isfinite(value) else value
    entry["features"] = dict(sorted(scores.items()))
    if scores:
        top = max(sorted(scores), key=lambda name: scores[name])
        entry.update(max_score=scores[top], max_feature=top)
    if len(window) < entry["sample_rows"] or not scores:
        return {**entry, "verdict": "insufficient"}
    return {**entry, "verdict": band(scores[top], float(drift["warn"]), float(drift["alert"]))}
