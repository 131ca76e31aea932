"""The feature store as the pipelines see it: feature tables, Feast reads and writes, the stream.

Training and serving read features from one set of definitions (``features/definitions.py``):
training joins them point in time correctly through Feast's offline store, serving reads what
materialisation (batch views) or the stream consumer (``compute: stream`` views) put in the
online store. This module is the only code that talks to Feast; the pipeline steps call it.

What the feature views hold is read from ``plan.json`` at run time, never copied into code:
the sources (event-time and label columns, label delay), the entities' join keys, each
view's features (aggregation, column, window) and which features each model takes.

Point in time: the feature row of an entity at time ``t`` aggregates only the source rows
known at ``t``: rows whose event time is at most ``t`` and later than ``t - window``. A label
is known only once it has arrived, so rows enter a label column's aggregate at
``event time + label delay`` and strictly after their own event (a row never sees its own
label). Offline, Feast then joins each training row with the latest feature row at or before
its own time, no older than the view's TTL.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "FEATURE_STORE_YAML_VARIABLE",
    "apply",
    "build_feature_tables",
    "historical_features",
    "historical_view_features",
    "import_feast",
    "materialize",
    "online_features",
    "open_store",
    "push_from_snapshot",
    "record_freshness",
]

#: Names the Feast configuration file (in ``features/``) to use instead of
#: ``feature_store.yaml``: ``feature_store.cloud.yaml`` on a cloud stack.
FEATURE_STORE_YAML_VARIABLE = "MLOPSGEN_FEATURE_STORE_YAML"

_ROW = "_mlopsgen_row"
_EVENT_TIMESTAMP = "event_timestamp"
_SNAPSHOT_SUFFIXES = (".parquet", ".csv", ".json", ".jsonl")


@dataclass(frozen=True)
class _Feature:
    name: str
    agg: str
    column: str | None
    window_seconds: int
    dtype: str


@dataclass(frozen=True)
class _View:
    name: str
    entity_key: str
    source: str
    event_time: str | None
    label: str | None
    label_delay_seconds: float
    compute: str
    max_staleness_seconds: int | None
    features: tuple[_Feature, ...]
    id_columns: tuple[str, ...]


@dataclass(frozen=True)
class _Layout:
    views: Mapping[str, _View]
    models: Mapping[str, tuple[tuple[str, str], ...]]


def _layout(root: Path) -> _Layout:
    """The feature views and each model's view features, from the stack's ``plan.json``."""
    plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
    keys = {e["name"]: e["key"] for e in plan["features"]["entities"]}
    sources = {s["name"]: s for s in plan["data"]["sources"]}
    views: dict[str, _View] = {}
    for view in plan["features"]["views"]:
        source = sources[view["source"]]
        features = tuple(
            _Feature(f["name"], f["agg"], f["column"], int(f["window_seconds"]), f["dtype"])
            for f in view["features"]
        )
        views[view["name"]] = _View(
            name=view["name"],
            entity_key=keys[view["entity"]],
            source=view["source"],
            event_time=source["event_time"],
            label=source["label"],
            label_delay_seconds=float(source["label_delay_days"]) * 86400.0,
            compute=view["compute"],
            max_staleness_seconds=view["max_staleness_seconds"],
            features=features,
            id_columns=tuple(f["name"] for f in source["fields"] if f["role"] == "id"),
        )
    models = {
        m["name"]: tuple((i["view"], i["feature"]) for i in m["inputs"] if i["kind"] == "feature")
        for m in plan["models"]
    }
    return _Layout(views, models)


def _feature_table_path(root: Path, view: str) -> Path:
    """Where the Feast FileSource of ``view`` reads its table."""
    return root / "data" / "features" / f"{view}.parquet"


# --- feature tables -----------------------------------------------------------------------


def build_feature_tables(frames: Mapping[str, pd.DataFrame], root: Path) -> dict[str, Path]:
    """Compute every feature view's table from the source frames and write it as parquet.

    Args:
        frames: source frames keyed by source name, as ingested.
        root: the stack root.

    Returns:
        The table written for each view, keyed by view name.

    Raises:
        KeyError: a view's source frame, or a column a feature needs, is missing.
        ValueError: a view's source has no event-time column to aggregate over.
    """
    written: dict[str, Path] = {}
    for view in _layout(root).views.values():
        if view.source not in frames:
            raise KeyError(f"feature view {view.name!r} needs the source {view.source!r}")
        table = _view_table(view, frames[view.source])
        path = _feature_table_path(root, view.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(path, index=False)
        written[view.name] = path
    return written


def _view_table(view: _View, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per entity and event time: the entity key, ``event_timestamp``, the features."""
    if view.event_time is None:
        raise ValueError(
            f"feature view {view.name!r} aggregates over time, but its source "
            f"{view.source!r} has no event-time column"
        )
    needed = {view.entity_key, view.event_time} | {
        f.column for f in view.features if f.column is not None
    }
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise KeyError(f"feature view {view.name!r}: source columns missing: {missing}")
    data = frame.loc[frame[view.entity_key].notna(), sorted(needed)].copy()
    data[_EVENT_TIMESTAMP] = pd.to_datetime(data[view.event_time], utc=True)
    data = data.sort_values([view.entity_key, _EVENT_TIMESTAMP], kind="stable")
    data = data.reset_index(drop=True)
    seconds = _epoch_seconds(data[_EVENT_TIMESTAMP])
    starts = _group_starts(data[view.entity_key])
    out = pd.DataFrame(
        {
            view.entity_key: data[view.entity_key].to_numpy(),
            _EVENT_TIMESTAMP: data[_EVENT_TIMESTAMP],
        }
    )
    for feature in view.features:
        is_label = feature.column is not None and feature.column == view.label
        delay = view.label_delay_seconds if is_label else 0.0
        low, high = _windows(seconds, starts, feature.window_seconds, delay, strict=is_label)
        values = data[feature.column] if feature.column is not None else None
        out[feature.name] = _aggregate(feature, values, low, high)
    out = out.drop_duplicates([view.entity_key, _EVENT_TIMESTAMP], keep="last")
    return out.reset_index(drop=True)


def _epoch_seconds(times: pd.Series) -> np.ndarray:
    stamps = pd.DatetimeIndex(times)
    return np.asarray(stamps.as_unit("ns").asi8, dtype=np.float64) / 1e9


def _group_starts(keys: pd.Series) -> np.ndarray:
    """Index where each entity's run of rows begins, plus the end (rows are sorted by key)."""
    values = keys.to_numpy()
    if len(values) == 0:
        return np.array([0], dtype=np.int64)
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate([[0], change, [len(values)]]).astype(np.int64)


def _windows(
    seconds: np.ndarray, starts: np.ndarray, window: int, delay: float, *, strict: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For each row at time t, the index range of its entity's rows known within the window.

    A row is known from ``event + delay``; the window holds rows known in ``(t - window, t]``
    (``(t - window, t)`` when ``strict``: a label never feeds its own row).
    """
    low = np.empty(len(seconds), dtype=np.int64)
    high = np.empty(len(seconds), dtype=np.int64)
    side: Literal["left", "right"] = "left" if strict else "right"
    for begin, end in itertools.pairwise(starts):
        known = seconds[begin:end] + delay
        times = seconds[begin:end]
        high[begin:end] = begin + np.searchsorted(known, times, side=side)
        low[begin:end] = begin + np.searchsorted(known, times - window, side="right")
    low = np.minimum(low, high)
    return low, high


def _aggregate(
    feature: _Feature, values: pd.Series | None, low: np.ndarray, high: np.ndarray
) -> Any:
    """One aggregate per row over the rows ``low[i]:high[i]``; nulls never count."""
    if values is None:
        return np.asarray(high - low, dtype=np.int64)
    present = np.asarray(values.notna().to_numpy(), dtype=bool)
    if feature.agg == "count":
        return np.asarray(_window_sum(present.astype(np.float64), low, high), dtype=np.int64)
    if feature.agg == "count_distinct":
        items = values.to_numpy()
        return np.array(
            [len(set(items[a:b][present[a:b]])) for a, b in zip(low, high, strict=True)],
            dtype=np.int64,
        )
    if feature.agg == "last":
        return _last(values, present, low, high)
    numbers = pd.to_numeric(values, errors="coerce").astype(np.float64).to_numpy()
    return _numeric(feature.agg, numbers, low, high)


def _window_sum(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    total = np.concatenate([[0.0], np.cumsum(values)])
    return np.asarray(total[high] - total[low], dtype=np.float64)


def _numeric(agg: str, numbers: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    present = ~np.isnan(numbers)
    filled = np.where(present, numbers, 0.0)
    n = _window_sum(present.astype(np.float64), low, high)
    total = _window_sum(filled, low, high)
    with np.errstate(invalid="ignore", divide="ignore"):
        if agg == "sum":
            return total
        if agg == "mean":
            return np.where(n > 0, total / n, np.nan)
        if agg == "stddev":
            return _stddev(numbers, low, high)
    if agg in ("min", "max"):
        reduce = np.nanmin if agg == "min" else np.nanmax
        out = np.full(len(low), np.nan)
        for i, (a, b) in enumerate(zip(low, high, strict=True)):
            if n[i] > 0:
                out[i] = reduce(numbers[a:b])
        return out
    raise ValueError(f"unknown aggregation {agg!r}")


def _stddev(numbers: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Sample standard deviation (as pandas computes it) per window; NaN under two values."""
    out = np.full(len(low), np.nan)
    for i, (a, b) in enumerate(zip(low, high, strict=True)):
        window = numbers[a:b]
        window = window[~np.isnan(window)]
        if len(window) > 1:
            out[i] = float(np.std(window, ddof=1))
    return out


def _last(values: pd.Series, present: np.ndarray, low: np.ndarray, high: np.ndarray) -> Any:
    """The latest non-null value in each window (missing when the window has none).

    Integers and booleans keep their type through pandas' nullable dtypes, so the parquet
    column matches the view's Int64 or Bool field even where a window is empty.
    """
    positions = np.where(present, np.arange(len(present)), -1)
    latest = np.maximum.accumulate(positions) if len(positions) else positions
    items = values.to_numpy(dtype=object)
    out = np.empty(len(low), dtype=object)
    for i, (a, b) in enumerate(zip(low, high, strict=True)):
        j = latest[b - 1] if b > a else -1
        out[i] = items[j] if j >= a else None
    kind = values.dtype.kind
    if kind in "iu":
        return pd.Series(out).astype(pd.Int64Dtype()).array
    if kind == "b":
        return pd.Series(out).astype(pd.BooleanDtype()).array
    if kind == "f":
        return pd.Series(out).astype(np.float64).to_numpy()
    return out


# --- Feast ----------------------------------------------------------------------------------


def _repo(root: Path) -> Path:
    """The feature repository, absolute: Feast resolves its relative paths against it."""
    return (root / "features").resolve()


def import_feast() -> None:
    """Import Feast without typeguard's instrumentation of its classes.

    Feast decorates its definition classes with typeguard's ``@typechecked``, which parses and
    compiles the whole module's source again for each method, at import: most of the time
    ``import feast`` takes (some 3 s of every process that opens the store here: the pipelines
    and each service worker). typeguard makes the decorator a no-op itself when Python runs
    optimised (``-O``); this makes it one for the rest of the process, before Feast is first
    imported. The checks only catch definitions called with arguments of the wrong type,
    which ``feast plan`` on the generated repository catches as well.
    """
    if "feast" not in sys.modules:
        import typeguard

        typeguard.typechecked = _unchecked
    import feast  # noqa: F401 - imported for the modules that use it next


def _unchecked(target: Any = None, **_options: Any) -> Any:
    """``@typechecked`` and ``@typechecked(...)`` that leave what they decorate as it is."""
    return _unchecked if target is None else target


def open_store(root: Path) -> Any:
    """The Feast store of the stack (imported here so plain table building needs no Feast)."""
    import_feast()
    from feast import FeatureStore

    repo = _repo(root)
    config = os.environ.get(FEATURE_STORE_YAML_VARIABLE, "feature_store.yaml")
    return FeatureStore(repo_path=str(repo), fs_yaml_file=repo / config)


def apply(root: Path) -> None:
    """Register the definitions of ``features/`` (what ``feast apply`` does), keeping the cwd."""
    import_feast()
    from feast.repo_operations import apply_total

    if not _has_views(root):
        return
    (root / "data" / "feast").mkdir(parents=True, exist_ok=True)
    store = open_store(root)
    here = Path.cwd()
    try:
        apply_total(store.config, _repo(root), skip_source_validation=False)
    finally:
        os.chdir(here)


def materialize(root: Path, end: datetime) -> None:
    """Load the online store with each view's latest values up to ``end``.

    Incremental: each view starts where its previous materialisation ended, the first time at
    ``end`` minus the view's TTL, so a scheduled run moves only the new interval. The start is
    taken from ``end`` rather than the clock (as Feast's ``materialize_incremental`` does), so
    a backfill or a run over historical data fills the store too.
    """
    if not _has_views(root):
        return
    store = open_store(root)
    end = _utc(end)
    materialized: dict[str, datetime] = {}
    for view in store.list_feature_views():
        if not view.online:
            continue
        start = end - view.ttl
        done = [_utc(stop) for _, stop in view.materialization_intervals if _utc(stop) < end]
        if done:
            start = max(start, *done)
        store.materialize(start_date=start, end_date=end, feature_views=[view.name])
        materialized[view.name] = end
    record_freshness(root, materialized)


#: Where the online store's freshness goes, as Prometheus text for the textfile collector.
FRESHNESS_METRICS = Path(".mlopsgen") / "metrics" / "features.prom"
_FRESHNESS = "mlopsgen_feature_newest_event_timestamp_seconds"


def record_freshness(root: Path, newest: Mapping[str, datetime]) -> Path:
    """Record how recent each view's online values are (merged with the views recorded
    before): ``mlopsgen_feature_newest_event_timestamp_seconds{view=...}``, which the
    ``FeatureStale`` alert compares with the view's declared freshness."""
    path = root / FRESHNESS_METRICS
    known: dict[str, float] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(_FRESHNESS + "{"):
                known[line.split('"')[1]] = float(line.rsplit(" ", 1)[1])
    for view, moment in newest.items():
        known[view] = max(known.get(view, 0.0), _utc(moment).timestamp())
    lines = [
        f"# HELP {_FRESHNESS} The newest event time whose values the online store holds.",
        f"# TYPE {_FRESHNESS} gauge",
        *(f'{_FRESHNESS}{{view="{view}"}} {known[view]:.3f}' for view in sorted(known)),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _has_views(root: Path) -> bool:
    """Whether the stack has a feature repository (a plan without views has none)."""
    return bool(_layout(root).views) and (_repo(root) / "definitions.py").exists()


def _service(root: Path, model: str) -> tuple[Any, Any] | None:
    """The store and the model's feature service, or None when the model takes no view
    features (its service does not exist)."""
    if not _layout(root).models.get(model) or not _has_views(root):
        return None
    store = open_store(root)
    return store, store.get_feature_service(model)


def historical_features(model: str, entity_df: pd.DataFrame, root: Path) -> pd.DataFrame:
    """The model's view features joined point in time correctly onto ``entity_df``.

    ``entity_df`` holds the entity keys and ``event_timestamp`` (other columns are kept).
    The rows come back in the order given, with one ``<view>__<feature>`` column per feature.
    A model that takes no view features gets ``entity_df`` back unchanged.
    """
    refs = [f"{view}:{feature}" for view, feature in _layout(root).models.get(model, ())]
    return historical_view_features(refs, entity_df, root)


def historical_view_features(
    refs: Sequence[str], entity_df: pd.DataFrame, root: Path
) -> pd.DataFrame:
    """The features ``refs`` (``<view>:<feature>``) joined point in time onto ``entity_df``.

    As :func:`historical_features`, for any set of view features: the models that read one
    source can share one join of their features. Feast answers once per entity and time (the
    rows of one request share both), and its file store drops a row earlier than every value
    of its entity: each distinct row is asked for once, and the answers are copied back by
    row number, empty where Feast returned none. The rows go to Feast with Arrow-backed
    strings: its file store hashes every column it plans over, and Python string objects
    make that most of the join's time.
    """
    if not refs or not _has_views(root):
        return entity_df.copy()
    store = open_store(root)
    frame = entity_df.copy()
    frame[_EVENT_TIMESTAMP] = pd.to_datetime(frame[_EVENT_TIMESTAMP], utc=True)
    frame[_ROW] = np.arange(len(frame))
    columns = [c for c in frame.columns if c != _ROW]
    answered = frame.groupby(columns, sort=False, dropna=False)[_ROW].transform("first")
    distinct = _arrow_strings(frame[frame[_ROW] == answered])
    job = store.get_historical_features(
        entity_df=distinct, features=list(refs), full_feature_names=True
    )
    found_rows = job.to_df().drop_duplicates(_ROW)
    added = [c for c in found_rows.columns if c not in frame.columns]
    features = found_rows.set_index(_ROW)[added].reindex(answered.to_numpy())
    joined = frame.drop(columns=[_ROW])
    joined.index = features.index = entity_df.index
    return pd.DataFrame(pd.concat([joined, features], axis=1))


def _arrow_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its Python-string columns held as Arrow strings (same values)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and pd.api.types.infer_dtype(out[column]) == "string":
            out[column] = out[column].astype("string[pyarrow]")
    return out


def online_features(
    model: str, entity_rows: Sequence[Mapping[str, Any]], root: Path
) -> dict[str, list[Any]]:
    """The model's view features for ``entity_rows`` from the online store, by column."""
    found = _service(root, model)
    if found is None:
        return {}
    store, service = found
    response = store.get_online_features(
        features=service, entity_rows=[dict(row) for row in entity_rows], full_feature_names=True
    )
    return dict(response.to_dict())


# --- the stream consumer ----------------------------------------------------------------------


def push_from_snapshot(view: str, snapshot_dir: Path, root: Path) -> dict[str, Any]:
    """Update ``view``'s online values from a snapshot of its stream and push them.

    The consumer of a ``compute: stream`` view: it reads the event files of ``snapshot_dir``
    (parquet, CSV or JSON lines), adds them to the events seen before (the source history
    ``data/sources/<source>.parquet`` and what earlier snapshots brought, kept in
    ``data/stream/<view>.parquet``) so windows that reach back before the snapshot are
    complete, recomputes the aggregates of the entities that had events, and pushes each one's
    latest row to the online store through the view's push source. An event seen before (a
    redelivery or a replayed snapshot) counts once, by the source's id columns. Run it at least
    once per the view's declared freshness (``max_staleness_seconds`` in the report).

    Returns:
        ``{"view", "events", "entities", "pushed", "latest_event", "max_staleness_seconds"}``.

    Raises:
        ValueError: the view is not a stream view, or the snapshot holds no event files.
    """
    spec = _layout(root).views[view]
    if spec.compute != "stream":
        raise ValueError(f"feature view {view!r} is computed in batch: it has no push source")
    events = _needed(spec, _read_snapshot(snapshot_dir))
    seen_path = root / "data" / "stream" / f"{view}.parquet"
    history_path = root / "data" / "sources" / f"{spec.source}.parquet"
    earlier = [_needed(spec, pd.read_parquet(p)) for p in (history_path, seen_path) if p.exists()]
    frame = pd.concat([*earlier, events], ignore_index=True)
    frame = frame.drop_duplicates(list(spec.id_columns) or None)
    seen = [pd.read_parquet(seen_path)] if seen_path.exists() else []
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([*seen, events], ignore_index=True).drop_duplicates(
        list(spec.id_columns) or None
    ).to_parquet(seen_path, index=False)
    touched = set(events[spec.entity_key].dropna().tolist())
    table = _view_table(spec, frame[frame[spec.entity_key].isin(touched)])
    latest = table.sort_values(_EVENT_TIMESTAMP, kind="stable").groupby(spec.entity_key).tail(1)
    latest = latest.sort_values(spec.entity_key, kind="stable").reset_index(drop=True)
    if len(latest):
        from feast.data_source import PushMode

        open_store(root).push(f"{view}_push", latest, to=PushMode.ONLINE)
    newest = latest[_EVENT_TIMESTAMP].max() if len(latest) else None
    if newest is not None:
        record_freshness(root, {view: newest.to_pydatetime()})
    return {
        "view": view,
        "events": len(events),
        "entities": len(touched),
        "pushed": len(latest),
        "latest_event": newest.isoformat() if newest is not None else None,
        "max_staleness_seconds": spec.max_staleness_seconds,
    }


def _needed(view: _View, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the view aggregates (and the event ids), with event times in UTC."""
    columns = [view.entity_key, *view.id_columns]
    columns += [f.column for f in view.features if f.column is not None]
    if view.event_time is not None:
        columns.append(view.event_time)
    picked = frame[[c for c in dict.fromkeys(columns) if c in frame.columns]].copy()
    if view.event_time is not None and view.event_time in picked.columns:
        picked[view.event_time] = pd.to_datetime(picked[view.event_time], utc=True)
    return picked


def _read_snapshot(snapshot_dir: Path) -> pd.DataFrame:
    files = sorted(p for p in snapshot_dir.rglob("*") if p.suffix in _SNAPSHOT_SUFFIXES)
    if not files:
        raise ValueError(f"{snapshot_dir} holds no event files ({', '.join(_SNAPSHOT_SUFFIXES)})")
    return pd.concat([_read_events(path) for path in files], ignore_index=True)


def _read_events(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=path.suffix == ".jsonl")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
