"""The drift report as Prometheus text, for node-exporter's textfile collector.

``.mlopsgen/metrics/drift.prom`` (beside outcome ingestion's ``outcomes.prom``) is rewritten
after every check, so a model's series disappear when its window stops being scored:

* ``mlopsgen_drift_score{model, feature, method}``: each compared feature's score;
* ``mlopsgen_drift_max_score{model, method}``: the model's score, which the drift alerts read;
* ``mlopsgen_drift_window_rows{model}``: the logged rows the window held;
* ``mlopsgen_labels_since_training{model}``: labelled predictions after the last training.

Scores are written only for windows with a verdict (``ok``, ``warn``, ``alert``): an
``insufficient`` window's score is noise and must not page anyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["METRICS", "prometheus_text", "write_metrics"]

METRICS = Path(".mlopsgen") / "metrics" / "drift.prom"
_SCORED = ("ok", "warn", "alert")
_HELP = {
    "mlopsgen_drift_score": "Drift of one input over the last window, in the spec's method.",
    "mlopsgen_drift_max_score": "A model's drift: the largest of its inputs' scores.",
    "mlopsgen_drift_window_rows": "Logged request rows in the last drift window.",
    "mlopsgen_labels_since_training": "Labelled predictions made after the last training.",
}


def _labels(**values: str) -> str:
    escaped = {
        k: v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        for k, v in values.items()
    }
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped.items()) + "}"


def prometheus_text(
    models: Sequence[Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]]
) -> str:
    """The metrics of one drift check (see the module docstring)."""
    samples: dict[str, list[str]] = {name: [] for name in _HELP}
    for entry in sorted(models, key=lambda e: str(e["model"])):
        model, method = str(entry["model"]), str(entry["method"])
        samples["mlopsgen_drift_window_rows"].append(f"{_labels(model=model)} {entry['rows']}")
        if entry["verdict"] not in _SCORED:
            continue
        for feature, score in entry["features"].items():
            series = _labels(model=model, feature=feature, method=method)
            samples["mlopsgen_drift_score"].append(f"{series} {score:.6g}")
        series = _labels(model=model, method=method)
        samples["mlopsgen_drift_max_score"].append(f"{series} {entry['max_score']:.6g}")
    for model, count in sorted(labels.items()):
        samples["mlopsgen_labels_since_training"].append(f"{_labels(model=model)} {count['count']}")
    lines: list[str] = []
    for name, text in _HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{sample}" for sample in samples[name]]
    return "\n".join(lines) + "\n"


def write_metrics(
    root: Path, models: Sequence[Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]]
) -> Path:
    """Write the metrics file (through a temporary file, so a scrape never reads half)."""
    path = root / METRICS
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".prom.tmp")
    partial.write_text(prometheus_text(models, labels), encoding="utf-8")
    partial.replace(path)
    return path
