"""Each served model's predictions for a request frame; a forecaster answers its horizon.

Why a forecaster needs more than the family's ``predict``: that reads a day per row, and a
request names a series, not a day (the plan's request fields hold no time). A request for a
forecasting model therefore means "this series' next ``horizon_days`` days after the history
the model was fitted on", with the row's promotion flag (and other inputs) held for every
day: the row is repeated once per day, the family forecasts the repeated frame, and each
row's answer is the list of ``{"day", "forecast"}`` pairs. A series the model never saw has
no history to forecast from: its answer is ``None``. Every other task's family predicts the
frame as is.
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


def predict(spec: ModelSpec, fitted: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Column ``prediction`` (and ``score`` where the family gives one), one row per row."""
    if spec.task == FORECASTING:
        return _horizon(spec, fitted, frame)
    out: pd.DataFrame = family_of(spec.task).predict(spec, fitted, frame)
    return out


def _series_ids(fitted: Any, frame: pd.DataFrame) -> list[str]:
    if fitted.id_column is None:
        return [ONE_SERIES] * len(frame)
    if fitted.id_column not in frame.columns:
        raise ValueError(f"a forecast request needs the series id field {fitted.id_column!r}")
    return [str(value) for value in frame[fitted.id_column]]


def _horizon(spec: ModelSpec, fitted: Any, frame: pd.DataFrame) -> pd.DataFrame:
    horizon = max(int(spec.horizon_days or 1), 1)
    ids = _series_ids(fitted, frame)
    known = [i for i, sid in enumerate(ids) if sid in fitted.last_day]
    answers: list[Any] = [None] * len(frame)
    if known:
        repeated = frame.iloc[np.repeat(known, horizon)].reset_index(drop=True)
        steps = np.tile(np.arange(1, horizon + 1), len(known))
        last = pd.to_datetime([fitted.last_day[ids[i]] for i in np.repeat(known, horizon)])
        days = last + pd.to_timedelta(steps, unit="D")
        repeated[fitted.time_column] = days
        values = family_of(spec.task).predict(spec, fitted, repeated)["prediction"].to_numpy()
        for n, row in enumerate(known):
            span = slice(n * horizon, (n + 1) * horizon)
            answers[row] = [
                {"day": day.date().isoformat(), "forecast": _finite(value)}
                for day, value in zip(days[span], values[span], strict=True)
            ]
    return pd.DataFrame({"prediction": answers}, index=frame.index)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
