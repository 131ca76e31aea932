"""Demand forecasting with statsforecast: many series, trained shard by shard in waves.

Why this shape: a retailer has far more series than one job should hold, so the plan splits
them into ``partition.shards`` shards run ``partition.concurrent_workers`` at a time
(``partition.waves`` waves). Each shard fits an MSTL model per series (the plan's
``seasonality_days`` that the history holds twice, trend by ETS; ETS alone when none does).
Promotions are known in advance, so their lift is estimated per series, taken out before the
fit and put back on promoted days.
Seasonal-naive forecasts are computed beside the model: a forecaster that cannot beat them is
not worth serving.

Columns are found from the plan, never by name: the series id is the partition column (one
series when the model has none), the target is the model's ``target``, promotions are its
first boolean input, and the time is the frame's first datetime column. ``params``
(``id_column``, ``time_column``, ``promotion_column``) override them. Days are compared as
calendar days (UTC), whatever the time of day of the stamps.

Plan fields read: ``target``, ``inputs``, ``partition`` (``column``, ``shards``,
``concurrent_workers``), ``seasonality_days``, ``horizon_days``, ``params``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoETS

from .common import ModelSpec, partition_of, planned_list, seed_everything, waves

__all__ = [
    "ORACLE_PREFIX",
    "ForecastModel",
    "SeriesColumns",
    "evaluate",
    "fit",
    "layout",
    "oracle",
    "predict",
    "series",
]

START = pd.Timestamp("2025-01-01")
WEEK = 7
FORECAST = "forecast"  # the column statsforecast names after the model's alias
ONE_SERIES = "all"  # the id of the only series of a model without a partition
#: The synthetic source's oracle columns (``pipelines.synthetic.ORACLE_PREFIX``), named here
#: so the family imports nothing outside ``families``.
ORACLE_PREFIX = "_oracle__"


@dataclass(frozen=True)
class SeriesColumns:
    """The column names of a frame of series; ``None`` for a column the frame lacks.

    The defaults are statsforecast's own names; :func:`layout` gives a model's names.
    """

    id: str | None = "unique_id"
    time: str = "ds"
    value: str = "y"
    promotion: str | None = "promotion"
    price: str | None = "price"
    expected: str | None = None


@dataclass
class ForecastModel:
    """The fitted shards, what each series needs to forecast, and the training layout."""

    id_column: str | None
    time_column: str
    promotion_column: str | None
    shards: list[StatsForecast] = field(default_factory=list)
    lift: dict[str, float] = field(default_factory=dict)
    last_day: dict[str, pd.Timestamp] = field(default_factory=dict)
    last_week: dict[str, list[float]] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    waves: list[list[int]] = field(default_factory=list)


def series(
    ids: Sequence[str],
    days: int,
    rng: np.random.Generator,
    *,
    columns: SeriesColumns = SeriesColumns(),
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Daily sales per series: level, trend, weekly seasonality, promotions, price and noise.

    The last day is ``end`` (default: ``days`` days from 2025-01-01). Promotions lift demand
    only when ``columns.promotion`` is written (a lift the data cannot show is not learnable);
    ``columns.expected`` receives the noise-free demand, the best any forecast can do.
    """
    if columns.id is None and len(ids) > 1:
        raise ValueError("several series need an id column to tell them apart")
    last = pd.Timestamp(end) if end is not None else START + pd.Timedelta(days=days - 1)
    stamps = last - pd.to_timedelta(np.arange(days - 1, -1, -1), unit="D")
    frames = []
    t = np.arange(days)
    for sid in ids:
        level = rng.uniform(40.0, 160.0)
        trend = rng.uniform(-0.05, 0.25) * level / 100.0
        weekly = rng.uniform(0.1, 0.35) * level * np.sin(2 * np.pi * (t + rng.integers(7)) / WEEK)
        promo = (rng.random(days) < 0.08) & (columns.promotion is not None)
        lift = rng.uniform(0.25, 0.6)
        base = np.maximum(level + trend * t + weekly, 1.0)
        expected = base * np.where(promo, 1.0 + lift, 1.0)
        units = expected * rng.lognormal(0.0, 0.05, days)
        price = rng.uniform(2.0, 80.0) * np.where(promo, 0.8, 1.0)
        part: dict[str, object] = {columns.time: stamps, columns.value: np.round(units, 2)}
        if columns.id is not None:
            part[columns.id] = str(sid)
        if columns.promotion is not None:
            part[columns.promotion] = promo
        if columns.price is not None:
            part[columns.price] = np.round(price, 2)
        if columns.expected is not None:
            part[columns.expected] = expected
        frames.append(pd.DataFrame(part))
    return pd.concat(frames, ignore_index=True)


def layout(model: ModelSpec, time: str = "ds") -> SeriesColumns:
    """The columns ``model`` reads: its partition, target, first boolean and numeric inputs."""
    partition = partition_of(model)
    promotion = model.params.get("promotion_column") or _input_of(model, ("bool",))
    return SeriesColumns(
        id=str(model.params.get("id_column") or (partition.column if partition else "")) or None,
        time=str(model.params.get("time_column") or time),
        value=str(model.target or "y"),
        promotion=str(promotion) if promotion else None,
        price=_input_of(model, ("float", "integer")),
    )


def _input_of(model: ModelSpec, types: tuple[str, ...]) -> str | None:
    for item in model.inputs:
        if item.kind == "column" and item.type in types and item.column != model.target:
            return str(item.column)
    return None


def _columns(model: ModelSpec, frame: pd.DataFrame) -> tuple[str | None, str, str | None]:
    columns = layout(model)
    time_column = model.params.get("time_column")
    if time_column is None:
        dated = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        if not dated:
            raise ValueError(f"model {model.name}: the frame has no datetime column")
        time_column = dated[0]
    id_column = columns.id if columns.id in frame.columns else None
    promo = columns.promotion if columns.promotion in frame.columns else None
    return id_column, str(time_column), promo


def _days(values: pd.Series) -> pd.Series:
    """Calendar days (UTC, no time zone): what the series are indexed by."""
    days = pd.to_datetime(values, utc=True).dt.tz_localize(None).dt.normalize()
    return days.astype("datetime64[ns]")


def _ids(fitted: ForecastModel, frame: pd.DataFrame) -> pd.Series:
    if fitted.id_column is None:
        return pd.Series(ONE_SERIES, index=frame.index)
    return frame[fitted.id_column].astype(str)


def _season_lengths(model: ModelSpec, history: int) -> list[int]:
    """The planned seasons (in days) that the history holds at least twice; weekly by default."""
    seasons = planned_list(model, "seasonality_days") or [WEEK]
    return sorted({round(d) for d in seasons if 2 <= round(d) <= history // 2})


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> ForecastModel:
    """Fit every series, shard by shard, wave by wave, as the plan partitions them."""
    seed_everything(seed)
    assert model.target is not None, "a forecaster needs a target"
    id_column, time_column, promo = _columns(model, frame)
    fitted = ForecastModel(id_column, time_column, promo)
    data = frame.assign(_series=_ids(fitted, frame), _day=_days(frame[time_column]))
    data = data.sort_values(["_series", "_day"], kind="stable")
    ids = sorted(data["_series"].unique())
    partition = partition_of(model)
    shards = partition.shards if partition else 1
    workers = partition.concurrent_workers if partition else 1
    count = max(1, min(int(shards), len(ids)))
    groups = [ids[i::count] for i in range(count)]
    fitted.waves = waves(count, workers)
    rows: dict[str, pd.DataFrame] = {str(k): g for k, g in data.groupby("_series")}
    for wave in fitted.waves:  # shards of one wave are independent: a cluster runs them at once
        fitted.shards.extend(_fit_shard(model, fitted, groups[index], rows) for index in wave)
    return fitted


def _fit_shard(
    model: ModelSpec, fitted: ForecastModel, ids: list[str], rows: dict[str, pd.DataFrame]
) -> StatsForecast:
    assert model.target is not None
    parts = []
    for sid in ids:
        g = rows[sid]
        y = g[model.target].to_numpy(dtype=float)
        promoted = g[fitted.promotion_column].to_numpy(bool) if fitted.promotion_column else None
        lift = 1.0
        if promoted is not None and promoted.any() and (~promoted).any():
            lift = float(np.median(y[promoted]) / max(np.median(y[~promoted]), 1e-9))
        base = np.where(promoted, y / lift, y) if promoted is not None else y
        fitted.lift[sid] = lift
        fitted.last_day[sid] = pd.Timestamp(g["_day"].iloc[-1])
        fitted.last_week[sid] = [float(v) for v in y[-WEEK:]]
        naive = np.abs(y[WEEK:] - y[:-WEEK])
        fitted.scale[sid] = float(naive.mean()) if naive.size else 1.0
        parts.append(pd.DataFrame({"unique_id": sid, "ds": g["_day"].to_numpy(), "y": base}))
    seasons = _season_lengths(model, min(len(rows[sid]) for sid in ids))
    trend = AutoETS(model="ZZN", alias=FORECAST)
    chosen = MSTL(seasons, trend_forecaster=trend, alias=FORECAST) if seasons else trend
    shard = StatsForecast(models=[chosen], freq="D", n_jobs=1)
    shard.fit(pd.concat(parts, ignore_index=True))
    return shard


def _forecasts(fitted: ForecastModel, keys: pd.DataFrame) -> pd.DataFrame:
    """Each shard's forecasts, as far ahead as the furthest row of ``keys`` it is asked for."""
    ends = keys.groupby("unique_id")["ds"].max()
    parts = []
    for shard in fitted.shards:
        wanted = [str(u) for u in shard.uids if str(u) in ends.index]
        if not wanted:
            continue
        h = max(int((ends[sid] - fitted.last_day[sid]).days) for sid in wanted)
        out = shard.predict(h=max(h, 1))
        out = out[out["unique_id"].astype(str).isin(wanted)]
        parts.append(out.assign(unique_id=out["unique_id"].astype(str)))
    columns = ["unique_id", "ds", FORECAST]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def _keys(fitted: ForecastModel, frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": _ids(fitted, frame), "ds": _days(frame[fitted.time_column])},
        index=frame.index,
    )


def predict(model: ModelSpec, fitted: ForecastModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Forecasts for the rows of ``frame`` (series id, day, promotion flag) after the history.

    A row of a series the model has not seen, or on a day inside its history, gets NaN.
    """
    keys = _keys(fitted, frame)
    forecasts = _forecasts(fitted, keys)
    forecasts["ds"] = pd.to_datetime(forecasts["ds"]).astype("datetime64[ns]")
    joined = keys.merge(forecasts, on=["unique_id", "ds"], how="left")
    base = joined[FORECAST].to_numpy(dtype=float)
    lift = joined["unique_id"].map(fitted.lift).fillna(1.0).to_numpy(dtype=float)
    if fitted.promotion_column and fitted.promotion_column in frame.columns:
        promoted = frame[fitted.promotion_column].fillna(False).to_numpy(dtype=bool)
    else:
        promoted = np.zeros(len(frame), dtype=bool)
    prediction = np.maximum(np.where(promoted, base * lift, base), 0.0)
    return pd.DataFrame({"prediction": prediction}, index=frame.index)


def seasonal_naive(fitted: ForecastModel, frame: pd.DataFrame) -> np.ndarray:
    """The same weekday of the last observed week, for each row of ``frame``."""
    keys = _keys(fitted, frame)
    values = []
    for sid, day in zip(keys["unique_id"], keys["ds"], strict=True):
        week = fitted.last_week.get(sid) or []
        step = int((day - fitted.last_day[sid]).days) if sid in fitted.last_day else 1
        values.append(week[(step - 1) % WEEK] if len(week) == WEEK else np.nan)
    return np.asarray(values, dtype=float)


def _errors(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """Errors over the rows with both values. WAPE (total absolute error over total demand)
    stays finite on days of zero sales, where MAPE skips the row."""
    ok = np.isfinite(forecast) & np.isfinite(actual)
    a, f, s = actual[ok], forecast[ok], scale[ok]
    error = np.abs(a - f)
    nonzero = a != 0
    denom = np.abs(a) + np.abs(f)
    total = float(np.abs(a).sum())
    return {
        "mape": float(np.mean(error[nonzero] / np.abs(a[nonzero]))),
        "smape": float(np.mean(np.where(denom > 0, 2 * error / denom, 0.0))),
        "mase": float(np.mean(error / np.where(s > 0, s, 1.0))),
        "mae": float(np.mean(error)),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "wape": float(error.sum() / total) if total > 0 else float("nan"),
    }


def evaluate(model: ModelSpec, fitted: ForecastModel, holdout: pd.DataFrame) -> dict[str, float]:
    """MAPE, sMAPE, MASE, MAE, RMSE and WAPE of the model and of seasonal-naive, plus the
    training layout.

    ``beats_seasonal_naive`` is 1.0 when the model's MAPE is below seasonal-naive's;
    ``shards_trained`` and ``waves`` are what :func:`fit` ran, to compare with the plan.
    """
    assert model.target is not None
    actual = holdout[model.target].to_numpy(dtype=float)
    scale = _ids(fitted, holdout).map(fitted.scale).fillna(1.0).to_numpy(float)
    metrics = _errors(actual, predict(model, fitted, holdout)["prediction"].to_numpy(), scale)
    baseline = _errors(actual, seasonal_naive(fitted, holdout), scale)
    metrics.update({f"seasonal_naive_{name}": value for name, value in baseline.items()})
    metrics["beats_seasonal_naive"] = float(metrics["mape"] < metrics["seasonal_naive_mape"])
    metrics["shards_trained"] = float(len(fitted.shards))
    metrics["waves"] = float(len(fitted.waves))
    metrics["series"] = float(len(fitted.lift))
    return metrics


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The errors of the synthetic source's expected demand: the best a forecast can do.

    MASE is left out: its scale is the training history's, which the hold-out alone lacks.
    """
    column = ORACLE_PREFIX + (model.target or "")
    if model.target is None or column not in holdout:
        return {}
    actual = holdout[model.target].to_numpy(dtype=float)
    errors = _errors(actual, holdout[column].to_numpy(dtype=float), np.ones(len(holdout)))
    return {name: value for name, value in errors.items() if name != "mase"}
