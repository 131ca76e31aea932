"""Join labels and business outcomes that arrive later to the predictions the service logged.

``python -m pipelines.outcomes LABELS [--predictions DIR]`` reads a file of outcomes (parquet,
CSV or JSON lines) and the service's prediction log (:mod:`services.prediction_log`: one JSON
line per answer, with its ``prediction_id``, time, model versions, request keys and arm), and
keeps one row per labelled prediction in ``data/outcomes/outcomes.parquet``: what the model
said, which version said it, in which experiment arm, and what turned out to be true. A later
file with the same prediction replaces its earlier outcome (a chargeback overturned).

``MLOPSGEN_OUTCOMES_URI`` keeps that table elsewhere: a URI such as
``s3://<offline store>/outcomes/outcomes.parquet`` (or ``gs://``, ``file://``, a plain path),
read and written through pyarrow's filesystems with the ambient cloud credentials. Where the
outcomes are ingested and where they are judged (the rollout controller's CronJob on a
cluster, the ``new_labels`` trigger) then share one table (:func:`read_outcome_table`).

An outcome row names its prediction by ``prediction_id`` (what the service answered with), or
else by the request's id or entity fields (``transaction_id``…): then the latest prediction
for those keys is the one labelled. Every other column travels along: the label (the source's
label column) and any business outcome (``fraud_loss_usd``), which the experiment analysis
reads per unit.

The plan's live quality monitors (binary decision rates, accuracy, a regression's MAPE or
MAE) are then measured over their window, ending at the newest labelled prediction, and written with the label counts as Prometheus text
(``.mlopsgen/metrics/outcomes.prom``, for node-exporter's textfile collector or a push to a
Pushgateway), where the quality alerts read them. A prediction counts as positive when the
service's decision is not ``approve`` (a plan with a decision section), else when the model's
score is at least one half. Exit codes: 0 joined, 2 the outcome file cannot be joined (the
report says which columns it needs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from pipelines.monitoring.window import log_folder
from pipelines.stack_plan import stack_root

__all__ = [
    "EXIT_JOINED",
    "EXIT_UNJOINABLE",
    "OUTCOMES_VARIABLE",
    "OutcomeError",
    "ingest",
    "join_outcomes",
    "label_column",
    "main",
    "measure",
    "outcomes_location",
    "quality",
    "read_outcome_table",
    "read_predictions",
    "write_outcome_table",
]

EXIT_JOINED = 0
EXIT_UNJOINABLE = 2
OUTCOMES = Path("data") / "outcomes" / "outcomes.parquet"
OUTCOMES_VARIABLE = "MLOPSGEN_OUTCOMES_URI"
METRICS = Path(".mlopsgen") / "metrics" / "outcomes.prom"
#: The metrics a quality monitor can watch, from the confusion counts (tp, fp, tn, fn).
RATES = {
    "false_positive_rate": ("fp", ("fp", "tn")),
    "false_negative_rate": ("fn", ("fn", "tp")),
    "precision": ("tp", ("tp", "fp")),
    "recall": ("tp", ("tp", "fn")),
    "accuracy": ("correct", ("tp", "fp", "tn", "fn")),
}


class OutcomeError(ValueError):
    """The outcome file cannot be joined to the prediction log."""


def read_predictions(folder: Path) -> pd.DataFrame:
    """Every logged prediction: one row each, its request keys as ``key:<name>`` columns."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("predictions-*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            row = {k: v for k, v in line.items() if k not in ("keys", "inputs", "event")}
            row.update({f"key:{k}": v for k, v in (line.get("keys") or {}).items()})
            row["model_versions"] = json.dumps(line.get("model_versions") or {}, sort_keys=True)
            row["scores"] = json.dumps(line.get("scores") or {}, sort_keys=True)
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    # JSON text: a prediction may be a number, a label, a slate or one answer per model
    frame["prediction"] = frame["prediction"].map(json.dumps)
    return frame.sort_values(["at", "prediction_id"], kind="stable").reset_index(drop=True)


def join_outcomes(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcomes, each with the prediction it labels (unmatched outcomes are dropped; a
    prediction two outcome rows name appears twice, the later row last).

    Raises:
        OutcomeError: the outcomes name no prediction id and share no request key.
    """
    if "prediction_id" in outcomes.columns:
        keys = ["prediction_id"]
        left = predictions
    else:
        keys = sorted(c.removeprefix("key:") for c in predictions.columns if c.startswith("key:"))
        keys = [k for k in keys if k in outcomes.columns]
        if not keys:
            logged = sorted(c.removeprefix("key:") for c in predictions.columns if "key:" in c)
            raise OutcomeError(
                "the outcomes have no prediction_id column and none of the request keys the "
                f"service logs ({', '.join(logged) or 'none logged yet'}): add one of them"
            )
        # the latest prediction for a request's keys is the one its outcome labels
        left = predictions.rename(columns={f"key:{k}": k for k in keys})
        left = left.drop_duplicates(keys, keep="last")
    carried = [c for c in outcomes.columns if c not in left.columns or c in keys]
    joined = left.merge(outcomes[carried], on=keys, how="inner", validate="one_to_many")
    return joined.reset_index(drop=True)


def outcomes_location(root: Path) -> str:
    """Where the outcome table is: ``MLOPSGEN_OUTCOMES_URI``, else
    ``data/outcomes/outcomes.parquet`` under ``root``."""
    return os.environ.get(OUTCOMES_VARIABLE) or str(root / OUTCOMES)


def _filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem holding ``location`` (a URI or a local path) and the path in it."""
    if "://" in location:
        filesystem, path = pafs.FileSystem.from_uri(location)
        return filesystem, str(path)
    return pafs.LocalFileSystem(), str(Path(location).absolute())


def read_outcome_table(root: Path) -> pd.DataFrame:
    """The outcome table (empty when nothing was ingested yet); see the module docstring."""
    filesystem, path = _filesystem(outcomes_location(root))
    if filesystem.get_file_info(path).type == pafs.FileType.NotFound:
        return pd.DataFrame()
    table: pd.DataFrame = pq.read_table(path, filesystem=filesystem).to_pandas()
    return table


def write_outcome_table(root: Path, table: pd.DataFrame) -> str:
    """Replace the outcome table with ``table``; where it went. A local file is written
    beside it and renamed over it (a reader sees the old table or the new one); an object
    store's upload replaces the object at once."""
    location = outcomes_location(root)
    filesystem, path = _filesystem(location)
    data = pa.Table.from_pandas(table, preserve_index=False)
    if isinstance(filesystem, pafs.LocalFileSystem):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        pq.write_table(data, temporary, filesystem=filesystem)
        filesystem.move(temporary, path)
    else:
        pq.write_table(data, path, filesystem=filesystem)
    return location


def _upsert(root: Path, joined: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    existing = read_outcome_table(root)
    frames = [] if existing.empty else [existing]
    table = pd.concat([*frames, joined], ignore_index=True)
    table = table.drop_duplicates("prediction_id", keep="last")
    table = table.sort_values(["at", "prediction_id"], kind="stable").reset_index(drop=True)
    return table, write_outcome_table(root, table)


def _positive(table: pd.DataFrame, model: str) -> pd.Series:
    if "decision" in table.columns and table["decision"].notna().any():
        return table["decision"].ne("approve")
    scores = table["scores"].map(lambda text: json.loads(text).get(model))
    return pd.to_numeric(scores, errors="coerce").ge(0.5)


def _binary(window: pd.DataFrame, label: str, model: str, metric: str) -> float:
    """A rate of the binary decision against the labels (see the module docstring)."""
    truth = window[label].astype(bool)
    said = _positive(window, model)
    counts = {
        "tp": int((said & truth).sum()),
        "fp": int((said & ~truth).sum()),
        "tn": int((~said & ~truth).sum()),
        "fn": int((~said & truth).sum()),
    }
    counts["correct"] = counts["tp"] + counts["tn"]
    top, bottom = RATES[metric]
    denominator = sum(counts[k] for k in bottom)
    return counts[top] / denominator if denominator else math.nan


def measure(window: pd.DataFrame, label: str, model: str, task: str, metric: str) -> float:
    """``metric`` of ``model`` over the labelled predictions ``window`` (a rollout's checks
    measure its candidate's predictions with it too)."""
    if task == "binary_classification":
        return _binary(window, label, model, metric)
    said = window["prediction"].map(json.loads)
    if metric == "accuracy":
        return float((said.astype(str) == window[label].astype(str)).mean())
    error = (pd.to_numeric(said, errors="coerce") - pd.to_numeric(window[label])).abs()
    if metric == "mae":
        return float(error.mean())
    relative = error / pd.to_numeric(window[label]).abs()
    return float(relative[relative.abs() != math.inf].mean())


def quality(table: pd.DataFrame, plan: Mapping[str, Any], label: str) -> list[dict[str, Any]]:
    """Each live quality monitor's metric over its window, ending at the newest labelled
    prediction (the monitors the plan marks ``live``)."""
    measured: list[dict[str, Any]] = []
    if table.empty or label not in table.columns:
        return measured
    tasks = {m["name"]: m["task"] for m in plan["models"]}
    labelled = table[table[label].notna()]
    for monitor in (plan.get("monitoring") or {}).get("quality") or []:
        if not monitor.get("live") or labelled.empty:
            continue
        start = labelled["at"].max() - timedelta(seconds=int(monitor["window_seconds"]))
        window = labelled[labelled["at"] > start]
        model, metric = str(monitor["model"]), str(monitor["metric"])
        measured.append(
            {
                "model": model,
                "metric": metric,
                "window": monitor["window"],
                "value": measure(window, label, model, str(tasks.get(model)), metric),
                "rows": len(window),
                "min": monitor.get("min"),
                "max": monitor.get("max"),
            }
        )
    return measured


def _prometheus(table: pd.DataFrame, measured: Sequence[Mapping[str, Any]], label: str) -> str:
    lines = [_help("mlopsgen_model_quality", "A model's live quality over its monitor's window.")]
    for item in measured:
        if not math.isnan(item["value"]):
            labels = f'model="{item["model"]}",metric="{item["metric"]}"'
            lines.append(f"mlopsgen_model_quality{{{labels}}} {item['value']:.6g}")
    count = int(table[label].notna().sum()) if label in table.columns else 0
    lines.append(_help("mlopsgen_outcome_labelled_predictions", "Predictions with an outcome."))
    lines.append(f"mlopsgen_outcome_labelled_predictions {count}")
    if not table.empty:
        name = "mlopsgen_outcome_newest_prediction_timestamp_seconds"
        lines.append(_help(name, "The newest labelled prediction's time."))
        lines.append(f"{name} {table['at'].max().timestamp():.3f}")
    return "\n".join(lines) + "\n"


def _help(name: str, text: str) -> str:
    return f"# HELP {name} {text}\n# TYPE {name} gauge"


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=path.suffix == ".jsonl")


def label_column(plan: Mapping[str, Any]) -> str:
    """The label column of the served models' source (``label`` when the plan has none)."""
    served = set((plan.get("serving") or {}).get("models") or ())
    sources = {s["name"]: s for s in plan["data"]["sources"]}
    for model in plan["models"]:
        if model["name"] in served or not served:
            label = sources.get(model["source"], {}).get("label")
            if label:
                return str(label)
    return "label"


def ingest(outcomes_path: Path, predictions: Path, root: Path) -> dict[str, Any]:
    """Join ``outcomes_path`` to the log in ``predictions``; the report (see the docstring)."""
    plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
    outcomes = _read(outcomes_path)
    logged = read_predictions(predictions)
    if logged.empty:
        raise OutcomeError(f"no prediction log in {predictions}: serve the model first")
    matched = join_outcomes(logged, outcomes)
    joined = matched.drop_duplicates("prediction_id", keep="last").reset_index(drop=True)
    table, location = _upsert(root, joined)
    label = label_column(plan)
    measured = quality(table, plan, label)
    metrics = root / METRICS
    metrics.parent.mkdir(parents=True, exist_ok=True)
    metrics.write_text(_prometheus(table, measured, label), encoding="utf-8")
    return {
        "outcomes": len(outcomes),
        "joined": len(joined),
        "superseded": len(matched) - len(joined),
        "unmatched": len(outcomes) - len(matched),
        "labelled_predictions": len(table),
        "label": label,
        "quality": measured,
        "table": location if os.environ.get(OUTCOMES_VARIABLE) else str(OUTCOMES),
        "metrics": str(METRICS),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    root = stack_root()
    parser = argparse.ArgumentParser(prog="python -m pipelines.outcomes", description=__doc__)
    parser.add_argument("outcomes", type=Path, help="outcome file: parquet, CSV or JSON lines")
    parser.add_argument("--predictions", type=Path, default=log_folder(root))
    args = parser.parse_args(argv)
    try:
        report = ingest(args.outcomes, args.predictions, root)
    except OutcomeError as err:
        print(f"outcomes: {err}", file=sys.stderr)
        return EXIT_UNJOINABLE
    print(json.dumps(report, indent=2, sort_keys=True, default=str))
    return EXIT_JOINED


if __name__ == "__main__":
    sys.exit(main())
