"""What every model family reads from the plan, and the helpers they share.

The families are plain Python: they never import ZenML or Feast, so a user can call them from a
notebook and the pipeline steps stay thin. A model arrives as the plan's ``models[]`` entry; the
stack loads it into a frozen dataclass (``pipelines/stack_plan.py``), but the families only ask
for the attributes below (structural typing), so a ``types.SimpleNamespace`` built from
``plan.json`` by :func:`spec_from_mapping` works as well.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

__all__ = [
    "GateSpec",
    "InputSpec",
    "ModelSpec",
    "PartitionSpec",
    "column_of_type",
    "gate_results",
    "input_columns",
    "metric_names",
    "partition_of",
    "planned",
    "planned_list",
    "planned_number",
    "seed_everything",
    "segment_metric",
    "shard_values",
    "spec_from_mapping",
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
