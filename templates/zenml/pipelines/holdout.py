"""The time-based hold-out: train on the past, evaluate on the most recent matured rows.

Rows whose labels have not arrived (younger than the source's label delay, or with an empty
label) are left out of both sides: evaluating on them would score the model against labels
that are still changing, and training on them would teach it that fraud is rare lately.

A forecasting model is held out by its horizon instead: the last ``horizon_days`` of every
series (the partition column's values; one series when the model has none), because that is
what it will be asked for, and a share of rows would cut the series at one date whatever their
lengths.
"""

from __future__ import annotations

import pandas as pd

from pipelines.stack_plan import ModelSpec, SourceSpec

__all__ = ["DEFAULT_HORIZON_DAYS", "HOLDOUT_SHARE", "matured", "split"]

HOLDOUT_SHARE = 0.2
#: The horizon of a forecasting model that declares none.
DEFAULT_HORIZON_DAYS = 14


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


def _last_days(model: ModelSpec, source: SourceSpec, rows: pd.DataFrame) -> pd.Series:
    """Whether each row is in the last ``horizon_days`` (calendar days) of its series."""
    assert source.event_time is not None
    days = pd.to_datetime(rows[source.event_time], utc=True).dt.normalize()
    column = model.partition.column if model.partition is not None else None
    if column is not None and column in rows:
        last = days.groupby(rows[column].astype(str)).transform("max")
    else:
        last = pd.Series(days.max(), index=rows.index)
    horizon = model.horizon_days or DEFAULT_HORIZON_DAYS
    return days > last - pd.Timedelta(days=horizon)


def split(
    model: ModelSpec, source: SourceSpec, frame: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, hold-out): the last :data:`HOLDOUT_SHARE` of the matured rows in time.

    For a forecasting model: the last ``horizon_days`` of each series (see the module doc).
    """
    rows = matured(model, source, frame)
    if model.task == "forecasting" and source.event_time in rows:
        held = _last_days(model, source, rows)
        return rows[~held], rows[held]
    cut = round(len(rows) * (1.0 - HOLDOUT_SHARE))
    return rows.iloc[:cut], rows.iloc[cut:]
