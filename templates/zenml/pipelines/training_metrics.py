"""When each model's production version was trained, as Prometheus text for the alerts.

After every run, ``python -m pipelines.run`` writes ``.mlopsgen/metrics/training.prom``
(node-exporter's textfile collector reads the folder; or push the file to a Pushgateway):
``mlopsgen_model_promoted_timestamp_seconds{model=...}``, the creation time of each trainable
model's production version in the Model Control Plane. The ``TrainingStale`` alert fires when
that grows older than the model's schedule allows: runs that fail, stop, or are kept out by
the gates every time all look the same from outside, a model that stopped moving.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipelines.stack_plan import StackPlan

__all__ = ["METRICS", "promoted_times", "write_training_metrics"]

METRICS = Path(".mlopsgen") / "metrics" / "training.prom"
NAME = "mlopsgen_model_promoted_timestamp_seconds"


def promoted_times(plan: StackPlan) -> dict[str, float]:
    """Each trainable model's production version's creation time (UTC seconds); a model
    without a production version is absent."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    client = Client()
    found: dict[str, float] = {}
    for model in plan.models:
        if not model.trainable:
            continue
        try:
            version = client.get_model_version(model.name, ModelStages.PRODUCTION)
        except KeyError:  # never promoted
            continue
        created: datetime = version.created
        stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
        found[model.name] = stamp.timestamp()
    return found


def write_training_metrics(plan: StackPlan, root: Path) -> Path:
    """Write the metrics file under ``root``; its path."""
    lines = [
        f"# HELP {NAME} When the model's production version was trained.",
        f"# TYPE {NAME} gauge",
    ]
    for model, seconds in sorted(promoted_times(plan).items()):
        lines.append(f'{NAME}{{model="{model}"}} {seconds:.3f}')
    path = root / METRICS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
