"""New labels since a model's last training, for the ``new_labels`` retraining trigger.

Outcome ingestion (``python -m pipelines.outcomes``) keeps one row per labelled prediction in
``data/outcomes/outcomes.parquet`` (or where ``MLOPSGEN_OUTCOMES_URI`` says), its ``at`` the
time of the prediction. A label is new to a model when its prediction came after the model's
newest version was trained (see :func:`~pipelines.monitoring.reference.last_training`): those
rows cannot have been in that training run. Only models with a target learn from labels, as the plan's supervised triggers
say; a model never trained counts every label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.monitoring.reference import last_training
from pipelines.outcomes import OUTCOMES, read_outcome_table
from pipelines.stack_plan import StackPlan

__all__ = ["OUTCOMES", "count_new_labels"]


def count_new_labels(plan: StackPlan, root: Path) -> dict[str, dict[str, Any]]:
    """Per supervised model: ``{"count", "since", "label"}`` (``since`` None: never trained)."""
    table = read_outcome_table(root)
    counts: dict[str, dict[str, Any]] = {}
    for model in plan.models:
        label = plan.source(model.source).label
        if not model.trainable or model.target is None or label is None:
            continue
        since = last_training(model.name)
        count = 0
        if label in table.columns and "at" in table.columns:
            at = pd.to_datetime(table["at"], utc=True)
            new = table[label].notna()
            if since is not None:
                new &= at > pd.Timestamp(since)
            count = int(new.sum())
        counts[model.name] = {
            "count": count,
            "since": since.isoformat() if since is not None else None,
            "label": label,
        }
    return counts
