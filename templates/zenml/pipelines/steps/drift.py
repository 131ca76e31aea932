"""The drift pipeline's steps: window, scores, new labels, decision, export.

Each step is small and typed; the report they build is a plain dict (JSON-serialisable), kept
by ZenML as the ``drift_report`` artifact of every run.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from zenml import step

from pipelines.events import step_events
from pipelines.monitoring.decision import drift_bar, label_bar, retraining
from pipelines.monitoring.export import write_metrics
from pipelines.monitoring.labels import count_new_labels
from pipelines.monitoring.reference import production_reference
from pipelines.monitoring.scoring import score_model
from pipelines.monitoring.window import log_folder, parse_end, read_window
from pipelines.stack_plan import load_plan, stack_root

__all__ = ["drift_decision", "drift_window", "export_drift", "new_labels", "score_drift"]


@step
def drift_window(
    window_end: str = "",
) -> tuple[Annotated[pd.DataFrame, "window"], Annotated[str, "window_end"]]:
    """The sampled request inputs of the plan's window ending at ``window_end`` (now: empty),
    and that end as an ISO time, so every later step means the same window."""
    with step_events("drift_window"):
        plan = load_plan()
        end = parse_end(window_end)
        seconds = int(plan.raw["monitoring"]["drift"]["window_seconds"])
        return read_window(log_folder(stack_root()), end, seconds), end.isoformat()


@step
def score_drift(window: pd.DataFrame) -> Annotated[list[dict[str, Any]], "model_scores"]:
    """Each trainable model's drift over the window, against its production training rows."""
    with step_events("score_drift"):
        plan = load_plan()
        return [
            score_model(plan, model, window, production_reference(model.name))
            for model in plan.models
            if model.trainable
        ]


@step
def new_labels() -> Annotated[dict[str, dict[str, Any]], "new_labels"]:
    """Labelled predictions made after each supervised model's last training."""
    with step_events("new_labels"):
        return count_new_labels(load_plan(), stack_root())


@step
def drift_decision(
    model_scores: list[dict[str, Any]],
    labels: dict[str, dict[str, Any]],
    window_end: str,
) -> Annotated[dict[str, Any], "drift_report"]:
    """The drift report: per-model scores and verdicts, new labels, and what to retrain."""
    with step_events("drift_decision"):
        raw = load_plan().raw
        drift = raw["monitoring"]["drift"]
        return {
            "window_end": window_end,
            "window": drift["window"],
            "method": drift["method"],
            "bands": {"warn": drift["warn"], "alert": drift["alert"]},
            "retrain_above": drift_bar(raw),
            "retrain_at_labels": label_bar(raw),
            "models": model_scores,
            "new_labels": labels,
            "retrain": retraining(raw, model_scores, labels, window_end),
        }


@step
def export_drift(report: dict[str, Any]) -> Annotated[str, "metrics_file"]:
    """Write the report's metrics for the textfile collector; return the file's path."""
    with step_events("export_drift"):
        return str(write_metrics(stack_root(), report["models"], report["new_labels"]))
