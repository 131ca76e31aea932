"""Demand forecasting with statsforecast: many series, trained shard by shard in waves.

Why this shape: a retailer has far more series than one job should hold, so the plan splits
them into ``partition.shards`` shards run ``partition.concurrent_workers`` at a time
(``partition.waves`` waves). Each shard fits an MSTL model per series (the plan's
``seasonality_days`` that the history holds twice, trend by ETS; ETS alone when none does).
Promotions are known in advance, so their lift is estimated per series, taken out before the
fit and put back on promoted days.
Seasonal-naive forecasts are computed beside the model: a forecaster that cannot beat them is
not worth serving.

Plan fields read: ``target``, ``partition`` (``column``, ``shards``, ``concurrent_workers``),
``seasonality_days``, ``horizon_days``, ``params`` (``time_column``, ``promotion_column``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoETS

from .common import ModelSpec, partition_of, planned_list, seed_everything, waves

__all__ = ["ForecastModel", "evaluate", "fit", "predict", "series"]

START = pd.Timestamp("2025-01-01")
WEEK = 7
FORECAST = "forecast"  # the column statsforecast names after the model's alias


@dataclass
class ForecastModel:
    """The fitted shards, what each series needs to forecast, and the training layout."""

    id_column: str
    time_column: str
    promotion_column: str | None
    shards: list[StatsForecast] = field(default_factory=list)
    lift: dict[str, float] = field(default_factory=dict)
    last_day: dict[str, pd.Timestamp] = field(default_factory=dict)
    last_week: dict[str, list[float]] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    waves: list[list[int]] = field(default_factory=list)


def series(ids: Sequence[str], days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Daily sales per series: level, trend, weekly seasonality, promotions, price and noise."""
    frames = []
    t = np.arange(days)
    for sid in ids:
        level = rng.uniform(40.0, 160.0)
        trend = rng.uniform(-0.05, 0.25) * level / 100.0
        weekly = rng.uniform(0.1, 0.35) * level * np.sin(2 * np.pi * (t + rng.integers(7)) / WEEK)
        promo = rng.random(days) < 0.08
        lift = rng.uniform(0.25, 0.6)
        base = np.maximum(level + trend * t + weekly, 1.0)
        units = base * np.where(promo, 1.0 + lift, 1.0) * rng.lognormal(0.0, 0.05, days)
        price = rng.uniform(2.0, 80.0) * np.where(promo, 0.8, 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "series_id": str(sid),
                    "day": START + pd.to_timedelta(t, unit="D"),
                    "units_sold": np.round(units, 2),
                    "on_promotion": promo,
                    "price_usd": np.round(price, 2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _columns(model: ModelSpec, frame: pd.DataFrame) -> tuple[str, str, str | None]:
    partition = partition_of(model)
    id_column = partition.column if partition else "series_id"
    time_column = model.params.get("time_column")
    if time_column is None:
        dated = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        time_column = dated[0] if dated else "day"
    promo = model.params.get("promotion_column", "on_promotion")
    return id_column, str(time_column), promo if promo in frame.columns else None


def _season_lengths(model: ModelSpec, history: int) -> list[int]:
    """The planned seasons (in days) that the history holds at least twice; weekly by default."""
    seasons = planned_list(model, "seasonality_days") or [WEEK]
    return sorted({round(d) for d in seasons if 2 <= round(d) <= history // 2})


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> ForecastModel:
    """Fit every series, shard by shard, wave by wave, as the plan partitions them."""
    seed_everything(seed)
    assert model.target is not None, "a forecaster needs a target"
    id_column, time_column, promo = _columns(model, frame)
    data = frame.sort_values([id_column, time_column])
    fitted = ForecastModel(id_column, time_column, promo)
    ids = sorted(data[id_column].astype(str).unique())
    partition = partition_of(model)
    shards = partition.shards if partition else 1
    workers = partition.concurrent_workers if partition else 1
    count = max(1, min(int(shards), len(ids)))
    groups = [ids[i::count] for i in range(count)]
    fitted.waves = waves(count, workers)
    rows: dict[str, pd.DataFrame] = {str(k): g for k, g in data.groupby(id_column)}
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
        fitted.last_day[sid] = pd.Timestamp(g[fitted.time_column].iloc[-1])
        fitted.last_week[sid] = [float(v) for v in y[-WEEK:]]
        naive = np.abs(y[WEEK:] - y[:-WEEK])
        fitted.scale[sid] = float(naive.mean()) if naive.size else 1.0
        parts.append(pd.DataFrame({"unique_id": sid, "ds": g[fitted.time_column], "y": base}))
    seasons = _season_lengths(model, min(len(rows[sid]) for sid in ids))
    trend = AutoETS(model="ZZN", alias=FORECAST)
    chosen = MSTL(seasons, trend_forecaster=trend, alias=FORECAST) if seasons else trend
    shard = StatsForecast(models=[chosen], freq="D", n_jobs=1)
    shard.fit(pd.concat(parts, ignore_index=True))
    return shard


def _forecasts(fitted: ForecastModel, frame: pd.DataFrame) -> pd.DataFrame:
    ends = frame.groupby(fitted.id_column)[fitted.time_column].max()
    parts = []
    for shard in fitted.shards:
        ids = [str(u) for u in shard.uids]
        wanted = [sid for sid in ids if sid in ends.index.astype(str)]
        if not wanted:
            continue
        h = max(int((pd.Timestamp(ends[sid]) - fitted.last_day[sid]).days) for sid in wanted)
        out = shard.predict(h=max(h, 1))
        parts.append(out[out["unique_id"].astype(str).isin(wanted)])
    columns = ["unique_id", "ds", FORECAST]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def predict(model: ModelSpec, fitted: ForecastModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Forecasts for the rows of ``frame`` (series id, day, promotion flag) after the history."""
    keys = frame[[fitted.id_column, fitted.time_column]].copy()
    keys["unique_id"] = keys[fitted.id_column].astype(str)
    keys["ds"] = pd.to_datetime(keys[fitted.time_column])
    joined = keys.merge(_forecasts(fitted, frame), on=["unique_id", "ds"], how="left")
    base = joined[FORECAST].to_numpy(dtype=float)
    lift = joined["unique_id"].map(fitted.lift).fillna(1.0).to_numpy(dtype=float)
    if fitted.promotion_column and fitted.promotion_column in frame.columns:
        promoted = frame[fitted.promotion_column].to_numpy(dtype=bool)
    else:
        promoted = np.zeros(len(frame), dtype=bool)
    prediction = np.maximum(np.where(promoted, base * lift, base), 0.0)
    return pd.DataFrame({"prediction": prediction}, index=frame.index)


def seasonal_naive(fitted: ForecastModel, frame: pd.DataFrame) -> np.ndarray:
    """The same weekday of the last observed week, for each row of ``frame``."""
    values = []
    for sid, day in zip(
        frame[fitted.id_column].astype(str), pd.to_datetime(frame[fitted.time_column]), strict=True
    ):
        week = fitted.last_week.get(sid) or [np.nan] * WEEK
        step = int((day - fitted.last_day[sid]).days) if sid in fitted.last_day else 1
        values.append(week[(step - 1) % WEEK] if len(week) == WEEK else np.nan)
    return np.asarray(values, dtype=float)


def _errors(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(forecast) & np.isfinite(actual)
    a, f, s = actual[ok], forecast[ok], scale[ok]
    nonzero = a != 0
    denom = np.abs(a) + np.abs(f)
    return {
        "mape": float(np.mean(np.abs(a - f)[nonzero] / np.abs(a[nonzero]))),
        "smape": float(np.mean(np.where(denom > 0, 2 * np.abs(a - f) / denom, 0.0))),
        "mase": float(np.mean(np.abs(a - f) / np.where(s > 0, s, 1.0))),
    }


def evaluate(model: ModelSpec, fitted: ForecastModel, holdout: pd.DataFrame) -> dict[str, float]:
    """MAPE, sMAPE and MASE of the model and of seasonal-naive, plus the shards trained."""
    assert model.target is not None
    actual = holdout[model.target].to_numpy(dtype=float)
    scale = holdout[fitted.id_column].astype(str).map(fitted.scale).fillna(1.0).to_numpy(float)
    metrics = _errors(actual, predict(model, fitted, holdout)["prediction"].to_numpy(), scale)
    baseline = _errors(actual, seasonal_naive(fitted, holdout), scale)
    metrics.update({f"seasonal_naive_{name}": value for name, value in baseline.items()})
    metrics["shards_trained"] = float(len(fitted.shards))
    metrics["waves"] = float(len(fitted.waves))
    metrics["series"] = float(len(fitted.lift))
    return metrics
