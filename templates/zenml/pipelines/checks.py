"""Data checks that stop a run: schema validation (pandera) and label leakage.

Both raise :class:`DataProblem` with a report a person can read; ``run.py`` prints it and
exits with the failure code, without a traceback, because bad data is not a bug in the code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipelines.stack_plan import FieldSpec, ModelSpec, SourceSpec, ValidationSpec

__all__ = ["LEAK_AUC", "DataProblem", "find_leaks", "schema_for", "validate_frame"]

#: A single input that ranks the label this well on its own is taken for a leak.
LEAK_AUC = 0.99
#: The same for a regression target: absolute correlation of one input with it.
LEAK_CORRELATION = 0.995
#: Input types no single number summarises (pixels, vectors): only their event time is checked.
PAYLOADS = ("image", "embedding")
_DTYPES = {"float": "number", "integer": "number", "bool": "bool"}


class DataProblem(Exception):
    """The data cannot be trained on; the message is the report."""


def _column(column: FieldSpec, max_nulls: float, label: str | None) -> pa.Column:
    checks: list[pa.Check] = []
    if column.min is not None:
        checks.append(pa.Check.ge(column.min, ignore_na=True))
    if column.max is not None:
        checks.append(pa.Check.le(column.max, ignore_na=True))
    if column.values:
        checks.append(pa.Check.isin(list(column.values), ignore_na=True))
    if not column.nullable and column.name != label:
        checks.append(
            pa.Check(
                lambda s: bool(s.isna().mean() <= max_nulls),
                error=f"more than {max_nulls:.1%} missing",
            )
        )
    return pa.Column(checks=checks, nullable=True, required=True, coerce=False)


def schema_for(source: SourceSpec, rules: ValidationSpec, min_rows: int) -> pa.DataFrameSchema:
    """The pandera schema of a batch of ``source``: columns, bounds, categories, nulls, rows."""
    columns = {
        f.name: _column(f, rules.max_null_fraction, source.label)
        for f in source.fields
        if f.type not in ("image", "embedding", "text")
    }
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(lambda frame: len(frame) >= min_rows, error=f"fewer than {min_rows} rows")
        ],
        strict=False,
    )


def _freshness(source: SourceSpec, rules: ValidationSpec, frame: pd.DataFrame) -> list[str]:
    if rules.freshness_max_minutes is None or source.event_time not in frame or frame.empty:
        return []
    latest = pd.to_datetime(frame[source.event_time], utc=True).max()
    age = (datetime.now(UTC) - latest.to_pydatetime()).total_seconds() / 60.0
    if age <= rules.freshness_max_minutes:
        return []
    return [
        (
            f"  freshness: the newest row is {age:,.0f} min old, more than the "
            f"{rules.freshness_max_minutes:g} min allowed"
        )
    ]


def _types(source: SourceSpec, frame: pd.DataFrame) -> list[str]:
    problems = []
    for column in source.fields:
        if column.name not in frame or column.type not in _DTYPES:
            continue
        values = frame[column.name].dropna()
        if column.type in ("float", "integer") and not pd.api.types.is_numeric_dtype(values):
            problems.append(f"  {column.name}: expected numbers, found {frame[column.name].dtype}")
    return problems


def validate_frame(
    source: SourceSpec, rules: ValidationSpec, frame: pd.DataFrame, min_rows: int
) -> None:
    """Check ``frame`` against the plan; raise :class:`DataProblem` listing every failure."""
    problems = _types(source, frame)
    try:
        schema_for(source, rules, min_rows).validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        for (column, check), rows in cases.groupby(["column", "check"], dropna=False):
            examples = ", ".join(str(v) for v in rows["failure_case"].head(3).tolist())
            where = column if isinstance(column, str) else "batch"
            problems.append(f"  {where}: {check} (e.g. {examples})")
    problems.extend(_freshness(source, rules, frame))
    if problems:
        report = "\n".join(sorted(set(problems)))
        raise DataProblem(f"source {source.name!r} failed validation:\n{report}")


def _alone(model: ModelSpec, values: pd.Series, truth: pd.Series) -> float:
    """How well one input alone predicts the target (ROC AUC either way, or |correlation|)."""
    from sklearn.metrics import roc_auc_score

    numbers = pd.to_numeric(
        values.astype("string").astype("category").cat.codes
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        else values,
        errors="coerce",
    ).astype(float)
    usable = numbers.notna() & truth.notna()
    if usable.sum() < 10:
        return 0.0
    x, y = numbers[usable].to_numpy(), truth[usable]
    if model.task == "regression":
        corr = np.corrcoef(x, y.to_numpy(dtype=float))[0, 1]
        return float(abs(corr)) if np.isfinite(corr) else 0.0
    classes = y.astype(str)
    if classes.nunique() != 2:
        return 0.0
    auc = roc_auc_score(classes == max(classes.unique()), x)
    return float(max(auc, 1.0 - auc))


def find_leaks(model: ModelSpec, source: SourceSpec, frame: pd.DataFrame) -> list[str]:
    """Inputs that leak the label: timestamped after the row, or predicting it on their own."""
    leaks = []
    time = source.event_time
    for item in model.inputs:
        column = item.frame_column
        if column not in frame:
            continue
        values = frame[column]
        if time is not None and time in frame and pd.api.types.is_datetime64_any_dtype(values):
            later = pd.to_datetime(values, utc=True) > pd.to_datetime(frame[time], utc=True)
            if later.any():
                leaks.append(f"  {item.name}: {int(later.sum())} rows have it later than {time}")
            continue
        if model.target is None or model.target not in frame or item.type in PAYLOADS:
            continue
        strength = _alone(model, values, frame[model.target])
        bound = LEAK_CORRELATION if model.task == "regression" else LEAK_AUC
        if strength >= bound:
            leaks.append(
                f"  {item.name}: predicts {model.target} on its own "
                f"({'|correlation|' if model.task == 'regression' else 'ROC AUC'} {strength:.3f})"
            )
    return leaks
