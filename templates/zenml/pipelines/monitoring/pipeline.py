"""The ZenML pipeline ``drift``: window, scores, new labels, decision, metrics.

It reports and exports only; acting on the report (starting training runs) is left to
``python -m pipelines.drift``, outside any step, so a training run never nests inside it.
"""

from __future__ import annotations

from zenml import pipeline

from pipelines.steps.drift import (
    drift_decision,
    drift_window,
    export_drift,
    new_labels,
    score_drift,
)

__all__ = ["PIPELINE", "PIPELINE_NAME", "drift_pipeline"]

PIPELINE_NAME = "drift"


@pipeline(name=PIPELINE_NAME, enable_cache=False)
def drift_pipeline(window_end: str = "") -> None:
    """Score the last window's drift, count new labels, decide, export the metrics."""
    window, end = drift_window(window_end)
    scores = score_drift(window)
    labels = new_labels()
    report = drift_decision(scores, labels, end)
    export_drift(report)


PIPELINE = drift_pipeline
