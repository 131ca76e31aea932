"""Which models the drift pipeline retrains, and why: the plan's triggers applied to a report.

* Drift: a spec that declares a ``drift`` trigger retrains a model whose score crosses the
  trigger's threshold, or the ``alert`` band when that is lower (past it the plan calls the
  drift serious). A window that is ``insufficient`` never retrains: its score is noise. A
  spec without a drift trigger is only told, through the score and its alerts.
* New labels: a ``new_labels`` trigger retrains a supervised model once ``min_rows`` labelled
  predictions arrived after its last training.

Retraining runs the training pipelines as a scheduled run would, so the gates still decide
what reaches production.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["drift_bar", "label_bar", "retraining"]


def _triggers(plan_raw: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return [t for t in plan_raw["training"].get("triggers") or [] if t.get("kind") == kind]


def drift_bar(plan_raw: Mapping[str, Any]) -> float | None:
    """The score past which drift retrains (see the module docstring); None: it never does."""
    triggers = _triggers(plan_raw, "drift")
    if not triggers:
        return None
    alert = float(plan_raw["monitoring"]["drift"]["alert"])
    return min([alert, *(float(t["threshold"]) for t in triggers if t.get("threshold"))])


def label_bar(plan_raw: Mapping[str, Any]) -> int | None:
    """The new labels that retrain a model; None when the spec has no such trigger."""
    rows = [int(t["min_rows"]) for t in _triggers(plan_raw, "new_labels") if t.get("min_rows")]
    return min(rows) if rows else None


def retraining(
    plan_raw: Mapping[str, Any],
    models: Sequence[Mapping[str, Any]],
    labels: Mapping[str, Mapping[str, Any]],
    window_end: str,
) -> dict[str, list[str]]:
    """Model -> the reasons to retrain it, for every model that has one, in name order."""
    reasons: dict[str, list[str]] = {}
    bar = drift_bar(plan_raw)
    for entry in models:
        score = entry["max_score"]
        if bar is None or entry["verdict"] not in ("ok", "warn", "alert") or score is None:
            continue
        if score > bar:
            reasons.setdefault(entry["model"], []).append(
                f"drift: {entry['method']} {score:.4g} on {entry['max_feature']} is above "
                f"{bar:g} over the {entry['rows']} logged rows up to {window_end}"
            )
    needed = label_bar(plan_raw)
    for model, count in sorted(labels.items()):
        if needed is not None and count["count"] >= needed:
            since = count["since"] or "the start (never trained)"
            reasons.setdefault(model, []).append(
                f"new labels: {count['count']} labelled predictions since {since}, "
                f"at least {needed}"
            )
    return dict(sorted(reasons.items()))
