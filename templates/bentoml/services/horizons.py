"""Each served model's predictions for a request frame; a forecaster answers its horizon.

Why a forecaster needs more than the family's ``predict``: that reads a day per row, and a
request names a series, not a day (the plan's request fields hold no time). A request for a
forecasting model therefore means "this series' next ``horizon_days`` days after the history
the model was fitted on", with the row's promotion flag (and other inputs) held for every
day: the row is repeated once per day, the family forecasts the repeated frame, and the
row's answer is the list of ``{"day", "forecast"}`` pairs. A series the model never saw has
no history to forecast from: its answer is ``None``. When the request has no series id field
(the plan serves the forecaster without one), a row asks for every series the model knows:
its answer maps each series id to its list. Every other task's family predicts the frame as
is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.stack_plan import ModelSpec
from pipelines.tasks import family_of

__all__ = ["FORECASTING", "predict"]

FORECASTING = "forecasting"
#: The series id of a forecaster without a partition column (``families.forecasting``).
ONE_SERIES = "all"

Forecast = list[dict[str, Any]]


def predict(spec: ModelSpec, fitted: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Column ``prediction`` (and ``score`` where the family gives one), one row per row."""
    if spec.task == FORECASTING:
        return pd.DataFrame({"prediction": _horizon(spec, fitted, frame)}, index=frame.index)
    out: pd.DataFrame = family_of(spec.task).predict(spec, fitted, frame)
    return out


def _horizon(spec: ModelSpec, fitted: Any, frame: pd.DataFrame) -> list[Any]:
    """Each row's forecast: one series' list, or every series' (see the module docstring)."""
    if fitted.id_column is None:
        forecasts = _forecast(spec, fitted, frame, [(i, ONE_SERIES) for i in range(len(frame))])
        return [forecasts.get((i, ONE_SERIES)) for i in range(len(frame))]
    if fitted.id_column in frame.columns:
        ids = [str(value) for value in frame[fitted.id_column]]
        forecasts = _forecast(spec, fitted, frame, list(enumerate(ids)))
        return [forecasts.get((i, sid)) for i, sid in enumerate(ids)]
    every = sorted(str(sid) for sid in fitted.last_day)
    pairs = [(i, sid) for i in range(len(frame)) for sid in every]
    forecasts = _forecast(spec, fitted, frame, pairs)
    return [{sid: forecasts[(i, sid)] for sid in every} for i in range(len(frame))]


def _forecast(
    spec: ModelSpec, fitted: Any, frame: pd.DataFrame, pairs: list[tuple[int, str]]
) -> dict[tuple[int, str], Forecast]:
    """The horizon of each (row, series) pair whose series the model knows."""
    horizon = max(int(spec.horizon_days or 1), 1)
    known = [(row, sid) for row, sid in pairs if sid in fitted.last_day]
    if not known:
        return {}
    rows = np.repeat([row for row, _ in known], horizon)
    series = np.repeat([sid for _, sid in known], horizon)
    repeated = frame.iloc[rows].reset_index(drop=True)
    if fitted.id_column is not None:
        repeated[fitted.id_column] = series
    steps = np.tile(np.arange(1, horizon + 1), len(known))
    last = pd.to_datetime([fitted.last_day[sid] for sid in series])
    days = last + pd.to_timedelta(steps, unit="D")
    repeated[fitted.time_column] = days
    values = family_of(spec.task).predict(spec, fitted, repeated)["prediction"].to_numpy()
    out: dict[tuple[int, str], Forecast] = {}
    for n, pair in enumerate(known):
        span = slice(n * horizon, (n + 1) * horizon)
        out[pair] = [
            {"day": day.date().isoformat(), "forecast": _finite(value)}
            for day, value in zip(days[span], values[span], strict=True)
        ]
    return out


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
