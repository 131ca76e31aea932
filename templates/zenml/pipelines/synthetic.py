"""A seeded synthetic source shaped like the plan's data schema, with a known best score.

Every stack runs with no external data: this module writes rows with the declared column
types, ranges, category values and (scaled-down) entity cardinalities, a label with learnable
signal at a set base rate, and the labels of the last ``label_delay_days`` left empty because
they have not arrived yet. Part of the signal is carried only by the feature views' window
aggregates (the label depends on them, computed exactly, point in time), so a pipeline that
drops a window feature or joins features from the future scores visibly worse than the
oracle. The oracle (the true generating score of every row) is kept in ``_oracle__<target>``
columns, which no model reads, so evaluation can report the best achievable metric on the
very rows it holds out.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from pipelines.stack_plan import FieldSpec, SourceSpec, StackPlan, ViewSpec

__all__ = [
    "BASE_RATE",
    "MODALITIES",
    "ORACLE_PREFIX",
    "PLANTED_ANOMALY",
    "column_values",
    "entity_cardinality",
    "entity_keys",
    "event_times",
    "generate",
    "history_days",
    "plant_anomalies",
    "source_entity_keys",
    "window_aggregate",
]

#: Share of positive labels of a boolean label when the source declares no ``label_rate``.
BASE_RATE = 0.05
#: Columns holding the true generating score of each target.
ORACLE_PREFIX = "_oracle__"
#: Column marking the rows planted as anomalies (for anomaly models' evaluation).
PLANTED_ANOMALY = "_planted_anomaly"
ANOMALY_RATE = 0.02
#: How strongly the features decide the label: fraud-like gates (a false-positive rate of 1 %
#: at 80 % recall) need a well-separated signal to be reachable at all. At 8 the fraud
#: source's oracle has a 0.24 % false-positive rate at 80 % recall, and models trained on the
#: default rows reach about 0.75 %: the reference gate passes with a margin, not by luck.
SIGNAL_SCALE = 8.0
#: Spread of the hidden per-entity risk that only a target aggregate (a fraud rate) reveals,
#: before scaling: 1.2 in logits, which a 30-day fraud rate over a few rows per entity can
#: only partly recover.
ENTITY_RISK = 0.15
HISTORY_DAYS = 14.0
Rng = np.random.Generator

#: Tasks whose data is more than independent columns (series, text, images, interactions),
#: in order of precedence, and the module that writes a whole source for them. Such a module
#: exports ``generate(plan, source, rows, rng, end) -> DataFrame`` with the same contract as
#: :func:`generate` (labels, ``_oracle__<target>`` columns); the labels that have not matured
#: are withheld here, after it returns. A source none of whose models has such a task gets
#: the column-wise generator below.
MODALITIES: dict[str, str] = {
    "forecasting": "pipelines.synthetic_series",
    "sentiment_analysis": "pipelines.synthetic_text",
    "entity_recognition": "pipelines.synthetic_text",
    "language_identification": "pipelines.synthetic_text",
    "image_classification": "pipelines.synthetic_images",
    "retrieval": "pipelines.synthetic_interactions",
    "ranking": "pipelines.synthetic_interactions",
}


def _seed(seed: int, *parts: str) -> Rng:
    salt = zlib.crc32("/".join(parts).encode("utf-8"))
    return np.random.default_rng([seed, salt])


def entity_cardinality(plan: StackPlan, column: str, rows: int) -> int:
    """Distinct keys of an entity column in a batch of ``rows``: the declared cardinality,
    held to a twentieth of the rows (so each key recurs and window features have history)."""
    declared = next((e.cardinality for e in plan.entities if e.key == column), rows)
    return int(max(5, min(declared, rows // 20)))


def entity_keys(cardinality: int, rows: int, rng: Rng) -> np.ndarray:
    """Entity keys with a long tail: a few keys are frequent, most are rare."""
    weights = 1.0 / np.arange(1, cardinality + 1) ** 0.8
    return rng.choice(cardinality, size=rows, p=weights / weights.sum())


def history_days(source: SourceSpec) -> float:
    """Days a synthetic batch spans: at least :data:`HISTORY_DAYS`, and three label delays
    plus the delay itself, so most labels have matured when the batch is read."""
    return max(HISTORY_DAYS, 3.0 * source.label_delay_days) + source.label_delay_days


def source_entity_keys(
    plan: StackPlan, source: SourceSpec, rows: int, rng: Rng
) -> dict[str, np.ndarray]:
    """``rows`` long-tailed keys for each entity column of ``source``, in schema order."""
    return {
        f.name: entity_keys(entity_cardinality(plan, f.name, rows), rows, rng)
        for f in source.fields
        if f.role == "entity"
    }


def event_times(rows: int, days: float, end: datetime, keys: np.ndarray, rng: Rng) -> pd.Series:
    """Event times ending at ``end``; each key's events come in short bursts (sessions)."""
    span_s = days * 86400.0
    session_start = rng.uniform(0.0, span_s, size=rows)
    # Rows of one key share a few session starts, so short windows see several events.
    sessions = max(1, rows // 4)
    session_of_row = (keys.astype(np.int64) * 7919 + rng.integers(0, 3, size=rows)) % sessions
    starts = np.sort(rng.uniform(0.0, span_s, size=sessions))
    offsets = rng.exponential(600.0, size=rows)
    seconds = np.minimum(starts[session_of_row] + offsets, span_s - 1.0)
    seconds = np.where(rng.random(rows) < 0.3, session_start, seconds)
    seconds += span_s - 60.0 - seconds.max()  # the newest row is a minute old: a fresh batch
    base = pd.Timestamp(end) - pd.Timedelta(seconds=span_s)
    micros = np.round(seconds * 1e6).astype(np.int64) + np.arange(rows) % 997
    return pd.Series(base + pd.to_timedelta(micros, unit="us"))


def _numeric(column: FieldSpec, rows: int, rng: Rng) -> np.ndarray:
    low = column.min if column.min is not None else 0.0
    high = column.max if column.max is not None else low + 100.0
    span = max(high - low, 1e-9)
    if span > 1000.0:
        values = low + rng.lognormal(np.log(span ** (1.0 / 3.0)), 1.0, size=rows)
    else:
        values = low + span * rng.beta(2.0, 2.0, size=rows)
    values = np.clip(values, low, high)
    return np.round(values).astype(np.int64) if column.type == "integer" else values


def column_values(column: FieldSpec, rows: int, keys: dict[str, np.ndarray], rng: Rng) -> object:
    """``rows`` values of one column, independent of the others (entity keys from ``keys``)."""
    if column.name in keys:
        return np.char.add(f"{column.name[:1]}", keys[column.name].astype(str))
    if column.type in ("float", "integer"):
        return _numeric(column, rows, rng)
    if column.type == "category":
        values = column.values or ("a", "b", "c")
        weights = rng.dirichlet(np.full(len(values), 2.0))
        return pd.Categorical(rng.choice(np.array(values), size=rows, p=weights), categories=values)
    if column.type == "bool":
        return rng.random(rows) < 0.3
    if column.type == "embedding":
        return list(rng.normal(size=(rows, 8)).astype(np.float32))
    if column.role == "id":
        return np.char.add("r", np.arange(rows).astype(str))
    return np.char.add("s", rng.integers(0, 50, size=rows).astype(str))


def _standard(values: pd.Series) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
        return np.zeros(len(values))
    numbers = np.log1p(np.abs(values.to_numpy(dtype=float)))
    spread = numbers.std()
    return (numbers - numbers.mean()) / spread if spread > 0 else np.zeros(len(values))


def window_aggregate(
    frame: pd.DataFrame, key: str, time: str, column: str | None, agg: str, window_s: int
) -> np.ndarray:
    """Each row's aggregate over its key's rows in ``[time - window, time]``, point in time.

    Written plainly (a two-pointer scan per key) because it is the ground truth the feature
    store's tables are compared with; rows must be sorted by ``time``.
    """
    out = np.full(len(frame), np.nan)
    times = frame[time].to_numpy(dtype="datetime64[us]").astype(np.int64)
    source = frame[column] if column is not None else pd.Series(np.ones(len(frame)))
    for positions in frame.groupby(key, observed=True, sort=False).indices.values():
        stamps = times[positions]
        values = source.to_numpy()[positions]
        starts = np.searchsorted(stamps, stamps - window_s * 1_000_000, side="left")
        for i, (start, row) in enumerate(zip(starts, positions, strict=True)):
            out[row] = _reduce(values[start : i + 1], agg)
    return out


def _reduce(values: np.ndarray, agg: str) -> float:
    if agg == "count":
        return float(len(values))
    if agg == "count_distinct":
        return float(len(set(values.tolist())))
    if agg == "last":
        return float(values[-1]) if len(values) else float("nan")
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    if len(numbers) == 0:
        return float("nan")
    reducers: dict[str, Callable[[np.ndarray], float]] = {
        "sum": lambda v: float(v.sum()),
        "mean": lambda v: float(v.mean()),
        "min": lambda v: float(v.min()),
        "max": lambda v: float(v.max()),
        "stddev": lambda v: float(v.std(ddof=0)),
    }
    return reducers[agg](numbers)


def _targets(plan: StackPlan, source: SourceSpec) -> list[str]:
    targets = [m.target for m in plan.models if m.source == source.name and m.target]
    if source.label:
        targets.insert(0, source.label)
    return list(dict.fromkeys(t for t in targets if t is not None))


def _signal(
    plan: StackPlan, source: SourceSpec, frame: pd.DataFrame, targets: list[str], rng: Rng
) -> np.ndarray:
    """The latent score: raw column effects plus, weighted as much, window aggregates."""
    raw = np.zeros(len(frame))
    for column in source.fields:
        if column.role != "feature" or column.name in targets:
            continue
        if column.type == "category":
            effects = rng.normal(0.0, 0.8, size=len(column.values or ()) or 3)
            raw += effects[frame[column.name].cat.codes.to_numpy()]
        elif column.type in ("float", "integer", "bool"):
            raw += rng.normal(0.0, 0.8) * _standard(frame[column.name].astype(float))
    windowed = np.zeros(len(frame))
    for view in _views_of(plan, source):
        key = plan.entity(view.entity).key
        time = source.event_time
        for feature in view.features:
            if time is None or feature.column in targets:
                continue
            values = window_aggregate(
                frame, key, time, feature.column, feature.agg, feature.window_seconds
            )
            windowed += rng.choice([-1.0, 1.0]) * 1.2 * _standard(pd.Series(values).fillna(0.0))
    latent = raw + windowed + _entity_risk(plan, source, frame, targets, rng)
    return np.asarray(SIGNAL_SCALE * latent, dtype=float)


def _views_of(plan: StackPlan, source: SourceSpec) -> list[ViewSpec]:
    names = {f.name for f in source.fields}
    return [v for v in plan.views if v.source == source.name and plan.entity(v.entity).key in names]


def _entity_risk(
    plan: StackPlan, source: SourceSpec, frame: pd.DataFrame, targets: list[str], rng: Rng
) -> np.ndarray:
    """A hidden per-entity risk, for entities whose views aggregate a target (a fraud rate)."""
    risk = np.zeros(len(frame))
    for view in _views_of(plan, source):
        if not any(f.column in targets for f in view.features):
            continue
        key = plan.entity(view.entity).key
        codes, uniques = pd.factorize(frame[key])
        risk += rng.normal(0.0, ENTITY_RISK, size=len(uniques))[codes]
    return risk


def _label(
    kind: str | None, column: FieldSpec | None, score: np.ndarray, rng: Rng, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """The label drawn from ``score`` and the oracle kept beside it (``rate``: true labels)."""
    if kind == "category" and column is not None and column.values:
        classes = np.array(column.values)
        weights = rng.normal(size=len(classes))
        logits = np.outer(score, weights) + rng.gumbel(size=(len(score), len(classes)))
        truth = np.outer(score, weights)
        return classes[logits.argmax(axis=1)], classes[truth.argmax(axis=1)]
    if kind in ("float", "integer"):
        low = column.min if column is not None and column.min is not None else 0.0
        high = column.max if column is not None and column.max is not None else low + 100.0
        mean = low + (high - low) * (0.5 + 0.15 * np.tanh(score / 2.0))
        values = np.clip(mean + rng.normal(0.0, 0.02 * (high - low), size=len(score)), low, high)
        return (np.round(values) if kind == "integer" else values), mean
    intercept = _intercept(score, rate)
    probability = 1.0 / (1.0 + np.exp(-(score + intercept)))
    return rng.random(len(score)) < probability, probability


def _intercept(score: np.ndarray, rate: float) -> float:
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2.0
        if (1.0 / (1.0 + np.exp(-(score + middle)))).mean() > rate:
            high = middle
        else:
            low = middle
    return (low + high) / 2.0


def plant_anomalies(
    plan: StackPlan, source: SourceSpec, frame: pd.DataFrame, rng: Rng
) -> pd.DataFrame:
    """Push a few rows' numeric features far out, marked in ``_planted_anomaly``.

    Only when an anomaly model reads ``source``: its evaluation then has a ground truth.
    """
    if not any(m.task == "anomaly_detection" and m.source == source.name for m in plan.models):
        return frame
    planted = rng.random(len(frame)) < ANOMALY_RATE
    for column in source.fields:
        if column.role == "feature" and column.type in ("float", "integer"):
            high = column.max if column.max is not None else float(frame[column.name].max()) * 10
            far = np.minimum(frame[column.name].astype(float).quantile(0.999) * 8.0, high)
            values = frame[column.name].astype(float).where(~planted, far)
            frame[column.name] = values.astype(frame[column.name].dtype)
    frame[PLANTED_ANOMALY] = planted
    return frame


def generate(
    plan: StackPlan, source: SourceSpec, rows: int, seed: int = 0, end: datetime | None = None
) -> pd.DataFrame:
    """``rows`` synthetic rows of ``source``, sorted by event time, ending at ``end`` (now).

    Labels of rows younger than the source's label delay are missing (not yet arrived); the
    ``_oracle__<target>`` columns hold the true score of every row.
    """
    rng = _seed(seed, plan.system, source.name)
    stop = end or datetime.now(UTC).replace(microsecond=0)
    modality = _modality(plan, source)
    if modality is not None:
        frame = importlib.import_module(modality).generate(plan, source, rows, rng, stop)
        return _withhold_immature(frame, source, stop)
    days = history_days(source)
    keys = source_entity_keys(plan, source, rows, rng)
    first_key = next(iter(keys.values()), np.arange(rows))
    data: dict[str, object] = {}
    for column in source.fields:
        if column.name == source.event_time or column.type == "timestamp":
            data[column.name] = event_times(rows, days, stop, first_key, rng)
        else:
            data[column.name] = column_values(column, rows, keys, rng)
    frame = pd.DataFrame(data)
    if source.event_time is not None:
        frame = frame.sort_values(source.event_time, kind="stable").reset_index(drop=True)
    frame = plant_anomalies(plan, source, frame, rng)
    targets = _targets(plan, source)
    for target in targets:
        spec = next((f for f in source.fields if f.name == target), None)
        others = [t for t in targets if t != target]
        score = _signal(plan, source, frame, [target, *others], rng)
        rate = source.label_rate if target == source.label and source.label_rate else BASE_RATE
        label, oracle = _label(spec.type if spec else None, spec, score, rng, rate)
        frame[target] = label
        frame[ORACLE_PREFIX + target] = oracle
    return _withhold_immature(frame, source, stop)


def _modality(plan: StackPlan, source: SourceSpec) -> str | None:
    """The module that writes ``source``, when one of its models needs more than columns."""
    tasks = {m.task for m in plan.models if m.source == source.name}
    return next((module for task, module in MODALITIES.items() if task in tasks), None)


def _withhold_immature(frame: pd.DataFrame, source: SourceSpec, end: datetime) -> pd.DataFrame:
    """Empty the labels that have not arrived yet: rows younger than the label delay."""
    if source.label is None or source.event_time is None or source.label_delay_days <= 0:
        return frame
    cutoff = pd.Timestamp(end) - pd.Timedelta(timedelta(days=source.label_delay_days))
    label = frame[source.label]
    if label.dtype == bool:
        label = label.astype("boolean")
    frame[source.label] = label.where(frame[source.event_time] <= cutoff)
    return frame
