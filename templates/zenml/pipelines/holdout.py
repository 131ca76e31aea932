"""The time-based hold-out: train on the past, evaluate on the most recent matured rows.

Rows whose labels have not arrived (younger than the source's label delay, or with an empty
label) are left out of both sides: evaluating on them would score the model against labels
that are still changing, and training on them would teach it that fraud is rare lately.
"""

from __future__ import annotations

import pandas as pd

from pipelines.stack_plan import ModelSpec, SourceSpec

__all__ = ["HOLDOUT_SHARE", "matured", "split"]

HOLDOUT_SHARE = 0.2


def matured(model: ModelSpec, source: SourceSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose labels have arrived, in event-time order."""
    rows = frame
    if source.event_time is not None and source.event_time in rows:
        times = pd.to_datetime(rows[source.event_time], utc=True)
        if source.label_delay_days > 0 and len(rows):
            cutoff = times.max() - pd.Timedelta(days=source.label_delay_days)
            rows = rows[times <= cutoff]
        rows = rows.sort_values(source.event_time, kind="stable")
    if model.target is not None and model.target in rows:
        rows = rows[rows[model.target].notna()]
    return rows


def split(
    model: ModelSpec, source: SourceSpec, frame: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, hold-out): the last :data:`HOLDOUT_SHARE` of the matured rows in time."""
    rows = matured(model, source, frame)
    cut = round(len(rows) * (1.0 - HOLDOUT_SHARE))
    return rows.iloc[:cut], rows.iloc[cut:]
