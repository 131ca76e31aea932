"""What every model family reads from the plan, and the helpers they share.

The families are plain Python: they never import ZenML or Feast, so a user can call them from a
notebook and the pipeline steps stay thin. A model arrives as the plan's ``models[]`` entry; the
stack loads it into a frozen dataclass (``pipelines/stack_plan.py``), but the families only ask
for the attributes below (structural typing), so a ``types.SimpleNamespace`` built from
``plan.json`` by :func:`spec_from_mapping` works as well.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score

__all__ = [
    "GateSpec",
    "InputSpec",
    "ModelSpec",
    "PartitionSpec",
    "classification_metrics",
    "column_of_type",
    "cut_offs",
    "gate_results",
    "input_columns",
    "log_loss_of",
    "metric_names",
    "partition_of",
    "planned",
    "planned_list",
    "planned_number",
    "reported_metrics",
    "seed_everything",
    "segment_metric",
    "shard_values",
    "spec_from_mapping",
    "top_k_accuracy",
    "top_ks",
    "waves",
]


class GateSpec(Protocol):
    """A promotion gate: ``metric`` within ``[min, max]``, per value of ``by`` when set."""

    @property
    def metric(self) -> str: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def by(self) -> str | None: ...
    @property
    def at_recall(self) -> float | None: ...


class InputSpec(Protocol):
    """A model input: a source ``column`` or a feature view's ``feature`` (``kind`` says which)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def column(self) -> str | None: ...
    @property
    def view(self) -> str | None: ...
    @property
    def feature(self) -> str | None: ...


class PartitionSpec(Protocol):
    """How training is split: ``shards`` jobs over ``column``, ``concurrent_workers`` at once."""

    @property
    def column(self) -> str: ...
    @property
    def values(self) -> Sequence[str] | None: ...
    @property
    def shards(self) -> int: ...
    @property
    def partitions_per_shard(self) -> int: ...
    @property
    def concurrent_workers(self) -> int: ...
    @property
    def waves(self) -> int: ...


class ModelSpec(Protocol):
    """The attributes of a plan's ``models[]`` entry every family reads.

    The compression, partition and forecasting fields (``partition``, ``augmentation``,
    ``pruning_sparsity``, ``quantization``, ``max_accuracy_drop``, ``embedding_dim``,
    ``horizon_days``, ``seasonality_days``) are read with :func:`planned` and friends, which
    fall back to the plan's defaults when a model object does not carry them.
    """

    @property
    def name(self) -> str: ...
    @property
    def task(self) -> str: ...
    @property
    def framework(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def inputs(self) -> Sequence[InputSpec]: ...
    @property
    def gates(self) -> Sequence[GateSpec]: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


def planned(model: ModelSpec, name: str, default: Any = None) -> Any:
    """The plan field ``name`` of ``model`` (attribute or nested mapping), else ``default``."""
    value = getattr(model, name, None)
    if value is None:
        return default
    if isinstance(value, Mapping):
        return SimpleNamespace(**value)
    return value


def partition_of(model: ModelSpec) -> PartitionSpec | None:
    """The model's training partition (shards, workers, waves), or None when it has none."""
    partition: PartitionSpec | None = planned(model, "partition")
    return partition


def planned_number(model: ModelSpec, name: str, default: float) -> float:
    """A numeric plan field (``pruning_sparsity``, ``max_accuracy_drop``, ...) as a float."""
    return float(planned(model, name, default))


def planned_list(model: ModelSpec, name: str) -> list[Any]:
    """A list plan field (``augmentation``, ``seasonality_days``), empty when absent."""
    return list(planned(model, name, ()) or ())


def spec_from_mapping(entry: Mapping[str, Any]) -> Any:
    """A ``models[]`` entry of ``plan.json`` with attribute access, nested mappings included."""

    def convert(value: Any) -> Any:
        if isinstance(value, Mapping):
            return SimpleNamespace(**{str(k): convert(v) for k, v in value.items()})
        if isinstance(value, list):
            return tuple(convert(v) for v in value)
        return value

    spec = convert(dict(entry))
    spec.params = dict(entry.get("params") or {})  # params stay a mapping: families call .get
    return spec


def input_columns(model: ModelSpec) -> list[str]:
    """The frame columns of the model's inputs; a view feature is ``<view>__<feature>``."""
    return [
        f"{item.view}__{item.feature}" if item.kind == "feature" else str(item.column or item.name)
        for item in model.inputs
    ]


def column_of_type(model: ModelSpec, kind: str, default: str) -> str:
    """The first source column input of type ``kind`` (``text``, ``image``), else ``default``.

    ``params[<kind>_column]`` overrides it, for frames whose column is renamed.
    """
    override = model.params.get(f"{kind}_column")
    if override:
        return str(override)
    for item in model.inputs:
        if item.kind == "column" and item.type == kind and item.column:
            return str(item.column)
    return default


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's and NumPy's generators (and torch's when it is loaded) for a repeatable fit."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - families without torch
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def segment_metric(metric: str, column: str, value: object) -> str:
    """The name of a per-segment metric, as gates with ``by`` look it up."""
    return f"{metric}[{column}={value}]"


def metric_names(model: ModelSpec) -> list[str]:
    """The metrics the model's gates name, in gate order (what ``evaluate`` must report)."""
    return [gate.metric for gate in model.gates]


def reported_metrics(model: ModelSpec) -> list[str]:
    """The metrics the model's gates and the plan's quality monitors name.

    Evaluation must report each of them: a gate or monitor whose metric is missing cannot be
    judged. The plan lists the monitors beside the model (``monitored``); a model object
    without that field has gates alone.
    """
    return [*metric_names(model), *(str(m) for m in planned_list(model, "monitored"))]


_AT_K = re.compile(r"_at_(?P<k>[1-9][0-9]*)$")
_TOP_K = re.compile(r"^top_(?P<k>[1-9][0-9]*)_accuracy$")


def _named(model: ModelSpec, pattern: re.Pattern[str], defaults: Sequence[int]) -> list[int]:
    named = (pattern.search(name) for name in reported_metrics(model))
    return sorted({int(match.group("k")) for match in named if match} | set(defaults))


def cut_offs(model: ModelSpec, defaults: Sequence[int]) -> list[int]:
    """The cut-offs ``k`` of the ``*_at_<k>`` metrics to report: ``defaults`` and every ``k``
    a gate or monitor names, so a gate on ``recall_at_20`` finds its value whatever the default.
    """
    return _named(model, _AT_K, defaults)


def top_ks(model: ModelSpec, defaults: Sequence[int]) -> list[int]:
    """The ``k`` of the ``top_<k>_accuracy`` metrics to report, chosen as :func:`cut_offs`."""
    return _named(model, _TOP_K, defaults)


def classification_metrics(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy and the F1, precision and recall averages a gate may name.

    ``f1``, ``precision`` and ``recall`` are macro averages (every class weighs the same, so a
    rare class the model ignores shows); ``weighted_f1`` weighs classes by their support. The
    averages run over the true classes: a prediction outside them (an undetermined language)
    counts as a miss without becoming a class of its own.
    """
    if not truth:
        names = ("accuracy", "f1", "macro_f1", "weighted_f1", "precision", "recall")
        return dict.fromkeys(names, float("nan"))
    y, p = [str(t) for t in truth], [str(v) for v in predicted]
    labels = sorted(set(y))
    macro = float(f1_score(y, p, labels=labels, average="macro", zero_division=0))
    return {
        "accuracy": float(np.mean(np.array(y) == np.array(p))),
        "f1": macro,
        "macro_f1": macro,
        "weighted_f1": float(f1_score(y, p, labels=labels, average="weighted", zero_division=0)),
        "precision": float(precision_score(y, p, labels=labels, average="macro", zero_division=0)),
        "recall": float(recall_score(y, p, labels=labels, average="macro", zero_division=0)),
    }


def log_loss_of(true_probability: np.ndarray) -> float:
    """Log loss from the probability each row gave its true class (clipped: one sure miss
    must cost a large finite amount, not infinity)."""
    if len(true_probability) == 0:
        return float("nan")
    return float(-np.mean(np.log(np.clip(true_probability, 1e-15, 1.0))))


def top_k_accuracy(probabilities: np.ndarray, truth: np.ndarray, k: int) -> float:
    """The share of rows whose true class index is among their ``k`` most probable classes."""
    if len(truth) == 0:
        return float("nan")
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return float(np.mean((top == truth[:, None]).any(axis=1)))


def shard_values(partition: PartitionSpec, present: Sequence[str]) -> list[list[str]]:
    """The partition values each shard trains on: the planned groups, then values not planned.

    The plan lists ``values`` when it knows them (a category column): shard ``i`` takes the
    ``partitions_per_shard`` values starting at ``i * partitions_per_shard``. Values seen in the
    data but absent from the plan are dealt round-robin so no row goes untrained.
    """
    planned = [str(v) for v in (partition.values or ())]
    shards = max(1, int(partition.shards))
    if planned:
        per = max(1, int(partition.partitions_per_shard))
        groups = [planned[i * per : (i + 1) * per] for i in range(shards)]
    else:
        groups = [[] for _ in range(shards)]
    extra = sorted({str(v) for v in present} - set(planned))
    for index, value in enumerate(extra):
        groups[index % shards].append(value)
    return groups


def waves(shards: int, concurrent_workers: int) -> list[list[int]]:
    """Shard indices grouped into waves of at most ``concurrent_workers`` shards each."""
    width = max(1, int(concurrent_workers))
    return [list(range(start, min(start + width, shards))) for start in range(0, shards, width)]


def gate_results(model: ModelSpec, metrics: Mapping[str, float]) -> list[dict[str, Any]]:
    """Each gate checked against ``metrics``, one row per segment when the gate has ``by``.

    A gate whose metric is missing fails: a gate the family could not measure must not promote.
    """
    rows: list[dict[str, Any]] = []
    for gate in model.gates:
        if gate.by:
            prefix = f"{gate.metric}[{gate.by}="
            names = sorted(name for name in metrics if name.startswith(prefix))
        else:
            names = [gate.metric]
        for name in names or [gate.metric]:
            value = metrics.get(name)
            passed = value is not None and not np.isnan(value)
            if value is not None and gate.min is not None:
                passed = passed and value >= gate.min
            if value is not None and gate.max is not None:
                passed = passed and value <= gate.max
            rows.append(
                {"metric": name, "value": value, "min": gate.min, "max": gate.max, "passed": passed}
            )
    return rows
