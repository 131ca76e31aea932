"""The read-out's input files, read by suffix (JSON lines or parquet) and checked.

* exposures: one row per enrolled request, ``experiment, variant, unit, prediction_id`` and
  ``at`` (ISO-8601 UTC; optional: it only dates the read-out), as the service logs them;
* outcomes: one row per prediction, ``prediction_id`` and one column per metric (a rate
  metric is 0/1);
* disagreements: the saturation sample, ``experiment, prediction_id, unit, differs``;
* covariates: ``unit`` and ``pre_<metric>``, a unit's value of the metric before the
  experiment.

Identifiers are read as text whatever the file's types, so ``"0042"`` and ``42`` never join
by accident; a file missing a column, or outcomes listing one prediction twice, is a
:class:`LogError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = [
    "EXPOSURE_COLUMNS",
    "LogError",
    "read_covariates",
    "read_disagreements",
    "read_exposures",
    "read_outcomes",
    "read_table",
]

EXPOSURE_COLUMNS = ("experiment", "variant", "unit", "prediction_id")
DISAGREEMENT_COLUMNS = ("experiment", "prediction_id", "unit", "differs")
#: Columns ``pipelines.outcomes`` carries from the prediction log into its table: what was
#: answered and to whom, never an outcome, so never a metric.
LOGGED_COLUMNS = frozenset(
    {
        "at",
        "cached",
        "decision",
        "differs",
        "experiment",
        "model_versions",
        "other_variant",
        "prediction",
        "scores",
        "service",
        "unit",
        "variant",
    }
)
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


class LogError(ValueError):
    """An input file the read-out cannot use: unreadable, or missing what it needs."""


def read_table(path: Path) -> pd.DataFrame:
    """A parquet file, JSON lines (``.jsonl``, ``.ndjson``, ``.json``), or a folder of JSON
    lines files (the service's prediction log: its lines are exposures, and those of the
    saturation sample carry ``differs``), as a frame.

    Raises:
        LogError: the path is absent, its suffix is neither, or the folder holds no lines.
    """
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise LogError(f"{path}: a folder with no .jsonl files")
        return pd.concat([read_table(file) for file in files], ignore_index=True)
    if not path.is_file():
        raise LogError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in _JSON_SUFFIXES:
        if path.stat().st_size == 0:
            return pd.DataFrame()
        return pd.read_json(path, lines=True, dtype=False, convert_dates=False)
    raise LogError(f"{path}: read .parquet or JSON lines (.jsonl, .ndjson, .json), not {suffix!r}")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}")


def _text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = out[column].astype(str)
    return out


def read_exposures(path: Path, experiment: str) -> pd.DataFrame:
    """The exposures of ``experiment``; ``at`` parsed as UTC when present."""
    frame = read_table(path)
    if frame.empty:
        frame = pd.DataFrame(columns=list(EXPOSURE_COLUMNS))
    _require(frame, EXPOSURE_COLUMNS, path)
    frame = _text(frame, EXPOSURE_COLUMNS)
    frame = frame[frame["experiment"] == experiment]
    columns = list(EXPOSURE_COLUMNS)
    if "at" in frame.columns:
        frame = frame.assign(at=pd.to_datetime(frame["at"], utc=True, format="ISO8601"))
        columns.append("at")
    return frame[columns].reset_index(drop=True)


def read_outcomes(path: Path, primary: str) -> pd.DataFrame:
    """``prediction_id``, the ``primary`` metric and every other numeric column (a metric).

    Columns that are not numbers (ids, timestamps, labels as text) are left out, and so are
    the prediction log's own columns when the file is ``pipelines.outcomes``'s table.

    Raises:
        LogError: the primary metric is absent or not numeric, or a prediction is listed twice.
    """
    frame = read_table(path)
    _require(frame, ("prediction_id", primary), path)
    frame = _text(frame, ("prediction_id",))
    duplicated = frame["prediction_id"].duplicated()
    if duplicated.any():
        first = frame.loc[duplicated, "prediction_id"].iloc[0]
        raise LogError(f"{path}: prediction {first!r} has more than one outcome row")
    out = frame[["prediction_id"]].copy()
    for column in [
        primary,
        *sorted(
            c
            for c in frame.columns
            if c not in (primary, "prediction_id")
            and c not in LOGGED_COLUMNS
            and not c.startswith("key:")
            and not pd.api.types.is_datetime64_any_dtype(frame[c])
        ),
    ]:
        values = frame[column]
        if values.dtype == bool:
            values = values.astype(float)
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().sum() > values.isna().sum():
            if column == primary:
                raise LogError(f"{path}: column {column} holds values that are not numbers")
            continue
        out[column] = numeric.astype(float)
    return out


def read_disagreements(path: Path, experiment: str) -> pd.DataFrame:
    """The saturation sample of ``experiment``: whether the arms' decisions differ."""
    frame = read_table(path)
    _require(frame, DISAGREEMENT_COLUMNS, path)
    # a prediction log's lines outside the sample have no ``differs``
    frame = frame[frame["differs"].notna()]
    frame = _text(frame, ("experiment", "prediction_id", "unit"))
    frame = frame[frame["experiment"] == experiment]
    differs = frame["differs"]
    if differs.dtype != bool:
        lowered = differs.astype(str).str.lower()
        if not lowered.isin(["true", "false", "1", "0", "1.0", "0.0"]).all():
            raise LogError(f"{path}: column differs must be true or false")
        differs = lowered.isin(["true", "1", "1.0"])
    frame = frame.assign(differs=differs.astype(bool))
    return frame[list(DISAGREEMENT_COLUMNS)].reset_index(drop=True)


def read_covariates(path: Path, metric: str) -> pd.Series:
    """Each unit's pre-period value ``pre_<metric>``, indexed by unit.

    Raises:
        LogError: the column is absent, or a unit is listed twice.
    """
    column = f"pre_{metric}"
    frame = read_table(path)
    _require(frame, ("unit", column), path)
    frame = _text(frame, ("unit",))
    if frame["unit"].duplicated().any():
        raise LogError(f"{path}: a unit is listed more than once")
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return pd.Series(values.to_numpy(), index=frame["unit"].to_numpy(), name=column)
