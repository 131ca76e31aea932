"""Daily series shaped like a forecasting source's schema, with their expected values.

A forecasting model needs series, not independent rows: each value of the model's partition
column (its entity key) gets one daily series ending at the run's ``end``, written by the
forecasting family's :func:`~pipelines.families.forecasting.series` (level, trend, weekly
season, promotions, price, noise). The schema decides where each part goes: the event time is
the day, the model's target the demand, the first boolean feature the promotions, the first
numeric feature the price, a category feature a fixed attribute of each series; any other
column is written as the tabular generator writes it. The noise-free demand is the oracle
(``_oracle__<target>``), and anomalies are planted for an anomaly model of the same source.

There are as many series as the plan trains shards (so every shard is really trained), each
as long as the rows allow, and never shorter than the horizon plus two weeks and the horizon
again (a weekly season seen twice before the hold-out); without a partition, one series.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from pipelines.families.forecasting import WEEK, SeriesColumns, series
from pipelines.holdout import DEFAULT_HORIZON_DAYS
from pipelines.stack_plan import FieldSpec, ModelSpec, SourceSpec, StackPlan
from pipelines.synthetic import ORACLE_PREFIX, column_values, plant_anomalies

__all__ = ["MAX_DAYS", "generate", "min_days", "shape"]

#: The longest history written while more series can still take rows (two years).
MAX_DAYS = 730
Rng = np.random.Generator


def _forecaster(plan: StackPlan, source: SourceSpec) -> ModelSpec:
    return next(m for m in plan.models if m.source == source.name and m.task == "forecasting")


def min_days(model: ModelSpec) -> int:
    """The shortest series: a training part holding the weekly season twice, then the horizon."""
    horizon = model.horizon_days or DEFAULT_HORIZON_DAYS
    return horizon + max(2 * WEEK, horizon)


def shape(model: ModelSpec, rows: int, values: int | None = None) -> tuple[int, int]:
    """(series, days) for ``rows`` rows: the plan's shard count of series when rows allow.

    ``values`` is the number of partition values when the plan lists them (a category).
    """
    shortest = min_days(model)
    if model.partition is None:
        return 1, max(rows, shortest)
    most = values or model.partition.cardinality
    days = max(shortest, min(rows // max(1, model.partition.shards), MAX_DAYS))
    count = max(1, min(most, math.ceil(rows / days)))
    if values is not None:
        count = values
    return count, max(days, math.ceil(rows / count))


def _first(source: SourceSpec, types: tuple[str, ...], skip: set[str]) -> str | None:
    return next(
        (
            f.name
            for f in source.fields
            if f.role == "feature" and f.type in types and f.name not in skip
        ),
        None,
    )


def _layout(source: SourceSpec, model: ModelSpec, time: str) -> SeriesColumns:
    target = model.target or source.label
    if target is None:
        raise ValueError(f"model {model.name}: a forecaster needs a target")
    partition = model.partition.column if model.partition is not None else None
    return SeriesColumns(
        id=partition if partition in {f.name for f in source.fields} else None,
        time=time,
        value=target,
        promotion=_first(source, ("bool",), {target}),
        price=_first(source, ("float", "integer"), {target}),
        expected=ORACLE_PREFIX + target,
    )


def _fit_range(values: pd.Series, column: FieldSpec, nominal: float) -> pd.Series:
    """``values`` (about ``0..nominal``) scaled into the column's declared range when narrower."""
    low = column.min if column.min is not None else 0.0
    high = column.max if column.max is not None else low + nominal
    factor = min(1.0, 0.9 * (high - low) / max(nominal, 1e-9))
    return (low + factor * values).clip(low, high)


def _ids(source: SourceSpec, columns: SeriesColumns, count: int) -> list[str]:
    if columns.id is None:
        return ["0"]
    values = source.field(columns.id).values
    return list(values) if values else [f"{columns.id[:1]}{i}" for i in range(count)]


def generate(
    plan: StackPlan, source: SourceSpec, rows: int, rng: Rng, end: datetime
) -> pd.DataFrame:
    """At least ``rows`` rows of daily series of ``source``, sorted by day, ending at ``end``."""
    model = _forecaster(plan, source)
    time = source.event_time or next((f.name for f in source.fields if f.type == "timestamp"), None)
    if time is None:
        raise ValueError(f"source {source.name} has no timestamp column to write series along")
    columns = _layout(source, model, time)
    values = source.field(columns.id).values if columns.id is not None else None
    count, days = shape(model, rows, len(values) if values else None)
    last = pd.Timestamp(end) - pd.Timedelta(minutes=1)  # the newest day is a fresh batch
    frame = series(_ids(source, columns, count), days, rng, columns=columns, end=last)
    target = source.field(columns.value)
    nominal = float(frame[columns.value].max()) * 1.1
    for name in (columns.value, ORACLE_PREFIX + columns.value):
        frame[name] = _fit_range(frame[name], target, nominal)
    if target.type == "integer":
        frame[columns.value] = frame[columns.value].round().astype(np.int64)
    if columns.price is not None:
        price = source.field(columns.price)
        frame[columns.price] = _fit_range(frame[columns.price], price, 100.0)
        if price.type == "integer":
            frame[columns.price] = frame[columns.price].round().astype(np.int64)
    frame = _other_columns(plan, source, columns, frame, rng)
    order = [time, columns.id] if columns.id is not None else [time]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    frame = plant_anomalies(plan, source, frame, rng)
    wanted = [f.name for f in source.fields] + [ORACLE_PREFIX + columns.value]
    extra = [c for c in frame.columns if c not in wanted]
    return frame[wanted + extra]


def _other_columns(
    plan: StackPlan, source: SourceSpec, columns: SeriesColumns, frame: pd.DataFrame, rng: Rng
) -> pd.DataFrame:
    """Every schema column the series do not write: per-series categories, the rest per row."""
    written = {columns.id, columns.time, columns.value, columns.promotion, columns.price}
    series_of = (
        pd.factorize(frame[columns.id])[0] if columns.id is not None else np.zeros(len(frame), int)
    )
    count = int(series_of.max()) + 1
    rows = len(frame)
    for column in source.fields:
        if column.name in written:
            continue
        if column.type == "timestamp":
            frame[column.name] = frame[columns.time]
        elif column.type == "category" and column.role != "id":
            per_series = column_values(column, count, {}, rng)
            frame[column.name] = pd.Categorical(
                np.asarray(per_series)[series_of], categories=column.values or None
            )
        elif column.role == "entity":
            cardinality = next((e.cardinality for e in plan.entities if e.key == column.name), 5)
            keys = {column.name: rng.integers(0, max(1, min(cardinality, count)), size=count)}
            frame[column.name] = np.asarray(column_values(column, count, keys, rng))[series_of]
        else:
            values: Any = column_values(column, rows, {}, rng)  # arrays, lists or categoricals
            frame[column.name] = values
    if columns.id is not None and source.field(columns.id).type == "category":
        frame[columns.id] = pd.Categorical(
            frame[columns.id], categories=source.field(columns.id).values
        )
    return frame
