"""The resolved plan (``plan.json``) as typed, frozen dataclasses.

Every module of the pipelines reads what it needs from here instead of having spec text
written into code: sources, fields, entities, feature views, models, gates and schedules.
Only the parts the pipelines use are typed; the rest of ``plan.json`` stays in ``raw``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BatchPlan",
    "EntitySpec",
    "FeatureSpec",
    "FieldSpec",
    "GateSpec",
    "InputSpec",
    "ModelSpec",
    "PartitionSpec",
    "SourceSpec",
    "StackPlan",
    "StepResources",
    "ValidationSpec",
    "ViewSpec",
    "load_plan",
    "stack_root",
]


def stack_root() -> Path:
    """The stack's root directory: the folder holding ``plan.json`` above this package."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FieldSpec:
    """One column of a source: its type, role, bounds and category values."""

    name: str
    type: str
    role: str
    nullable: bool
    min: float | None
    max: float | None
    values: tuple[str, ...] | None
    height: int | None = None
    width: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class SourceSpec:
    """A data source: where it lives, its event time, label and label delay."""

    name: str
    kind: str
    uri: str
    format: str | None
    event_time: str | None
    label: str | None
    label_delay_days: float
    label_rate: float | None
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        """The column ``name``; raises KeyError when the source has none."""
        for column in self.fields:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class ValidationSpec:
    """What a valid batch looks like."""

    max_null_fraction: float
    freshness_max_minutes: float | None
    min_rows: int


@dataclass(frozen=True)
class EntitySpec:
    """A feature-store entity and its join key."""

    name: str
    key: str
    cardinality: int


@dataclass(frozen=True)
class FeatureSpec:
    """One window aggregate of a feature view."""

    name: str
    agg: str
    column: str | None
    window_seconds: int
    dtype: str


@dataclass(frozen=True)
class ViewSpec:
    """A feature view over one source, keyed by one entity."""

    name: str
    entity: str
    source: str
    compute: str
    ttl_seconds: int
    features: tuple[FeatureSpec, ...]


@dataclass(frozen=True)
class InputSpec:
    """A model input: a source column or a view feature (column ``<view>__<feature>``)."""

    name: str
    kind: str
    type: str
    column: str | None
    view: str | None
    feature: str | None

    @property
    def frame_column(self) -> str:
        """The column holding this input in the training frame."""
        if self.kind == "feature":
            return f"{self.view}__{self.feature}"
        return self.column or self.name


@dataclass(frozen=True)
class GateSpec:
    """A promotion gate: a metric's bound, at a recall, optionally per segment."""

    metric: str
    min: float | None
    max: float | None
    at_recall: float | None
    by: str | None


@dataclass(frozen=True)
class StepResources:
    """The resources the plan sizes for one step."""

    name: str
    cpu: float
    memory_gib: float
    gpu: int


@dataclass(frozen=True)
class PartitionSpec:
    """How a model's training is split: ``shards`` jobs over ``column``'s values."""

    column: str
    values: tuple[str, ...] | None
    cardinality: int
    shards: int
    partitions_per_shard: int
    concurrent_workers: int
    waves: int


@dataclass(frozen=True)
class ModelSpec:
    """A model as the plan resolved it."""

    name: str
    task: str
    framework: str
    size: str
    source: str
    target: str | None
    target_type: str | None
    trainable: bool
    served: bool
    inputs: tuple[InputSpec, ...]
    gates: tuple[GateSpec, ...]
    steps: tuple[StepResources, ...]
    params: dict[str, Any] = field(default_factory=dict)
    partition: PartitionSpec | None = None
    augmentation: tuple[str, ...] = ()
    quantization: str = "none"
    pruning_sparsity: float = 0.0
    max_accuracy_drop: float = 0.01
    embedding_dim: int | None = None
    horizon_days: int | None = None
    seasonality_days: tuple[float, ...] = ()
    monitored: tuple[str, ...] = ()

    @property
    def views(self) -> tuple[str, ...]:
        """The feature views this model reads, in input order."""
        seen: dict[str, None] = {}
        for item in self.inputs:
            if item.view is not None:
                seen.setdefault(item.view)
        return tuple(seen)

    @property
    def columns(self) -> tuple[str, ...]:
        """The training-frame columns of this model's inputs."""
        return tuple(item.frame_column for item in self.inputs)


@dataclass(frozen=True)
class BatchPlan:
    """Batch scoring: when it runs and where it writes."""

    cron: str
    output_uri: str


@dataclass(frozen=True)
class StackPlan:
    """The parts of ``plan.json`` the pipelines use; the whole document stays in ``raw``."""

    system: str
    cloud: str
    sources: tuple[SourceSpec, ...]
    validation: ValidationSpec
    entities: tuple[EntitySpec, ...]
    views: tuple[ViewSpec, ...]
    models: tuple[ModelSpec, ...]
    cron: str
    timezone: str
    batch: BatchPlan | None
    raw: dict[str, Any]

    def model(self, name: str) -> ModelSpec:
        """The model ``name``; raises KeyError when the plan has none."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)

    def source(self, name: str) -> SourceSpec:
        """The source ``name``; raises KeyError when the plan has none."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def view(self, name: str) -> ViewSpec:
        """The feature view ``name``; raises KeyError when the plan has none."""
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(name)

    def entity(self, name: str) -> EntitySpec:
        """The entity ``name``; raises KeyError when the plan has none."""
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)

    def model_cron(self, name: str) -> str:
        """The retraining schedule of model ``name`` (the plan's shared cron by default)."""
        for row in self.raw["training"]["models"]:
            if row["name"] == name and row.get("cron"):
                return str(row["cron"])
        return self.cron


def _field(data: dict[str, Any]) -> FieldSpec:
    values = data.get("values")
    return FieldSpec(
        name=data["name"],
        type=data["type"],
        role=data["role"],
        nullable=bool(data["nullable"]),
        min=data.get("min"),
        max=data.get("max"),
        values=tuple(values) if values is not None else None,
        height=data.get("height"),
        width=data.get("width"),
        channels=data.get("channels"),
    )


def _source(data: dict[str, Any]) -> SourceSpec:
    return SourceSpec(
        name=data["name"],
        kind=data["kind"],
        uri=data["uri"],
        format=data.get("format"),
        event_time=data.get("event_time"),
        label=data.get("label"),
        label_delay_days=float(data.get("label_delay_days") or 0.0),
        label_rate=data.get("label_rate"),
        fields=tuple(_field(f) for f in data["fields"]),
    )


def _view(data: dict[str, Any]) -> ViewSpec:
    return ViewSpec(
        name=data["name"],
        entity=data["entity"],
        source=data["source"],
        compute=data["compute"],
        ttl_seconds=int(data["ttl_seconds"]),
        features=tuple(
            FeatureSpec(
                name=f["name"],
                agg=f["agg"],
                column=f.get("column"),
                window_seconds=int(f["window_seconds"]),
                dtype=f["dtype"],
            )
            for f in data["features"]
        ),
    )


def _model(data: dict[str, Any], monitored: tuple[str, ...] = ()) -> ModelSpec:
    return ModelSpec(
        name=data["name"],
        task=data["task"],
        framework=data["framework"],
        size=data["size"],
        source=data["source"],
        target=data.get("target"),
        target_type=data.get("target_type"),
        trainable=bool(data.get("trainable", True)),
        served=bool(data.get("served", False)),
        inputs=tuple(
            InputSpec(
                name=i["name"],
                kind=i["kind"],
                type=i["type"],
                column=i.get("column"),
                view=i.get("view"),
                feature=i.get("feature"),
            )
            for i in data["inputs"]
        ),
        gates=tuple(
            GateSpec(
                metric=g["metric"],
                min=g.get("min"),
                max=g.get("max"),
                at_recall=g.get("at_recall"),
                by=g.get("by"),
            )
            for g in data["gates"]
        ),
        steps=tuple(
            StepResources(
                name=s["name"],
                cpu=float(s["cpu"]),
                memory_gib=float(s["memory_gib"]),
                gpu=int(s["gpu"]),
            )
            for s in data.get("steps", [])
        ),
        params=dict(data.get("params") or {}),
        partition=_partition(data.get("partition")),
        augmentation=tuple(data.get("augmentation") or ()),
        quantization=str(data.get("quantization") or "none"),
        pruning_sparsity=float(data.get("pruning_sparsity") or 0.0),
        max_accuracy_drop=float(data.get("max_accuracy_drop", 0.01)),
        embedding_dim=data.get("embedding_dim"),
        horizon_days=data.get("horizon_days"),
        seasonality_days=tuple(float(d) for d in data.get("seasonality_days") or ()),
        monitored=monitored,
    )


def _monitored(raw: dict[str, Any], model: str) -> tuple[str, ...]:
    """The metrics the plan's quality monitors watch for ``model``: evaluation reports them."""
    quality = (raw.get("monitoring") or {}).get("quality") or []
    return tuple(str(q["metric"]) for q in quality if q.get("model") == model)


def _partition(data: dict[str, Any] | None) -> PartitionSpec | None:
    if not data:
        return None
    values = data.get("values")
    return PartitionSpec(
        column=data["column"],
        values=tuple(values) if values is not None else None,
        cardinality=int(data["cardinality"]),
        shards=int(data["shards"]),
        partitions_per_shard=int(data["partitions_per_shard"]),
        concurrent_workers=int(data["concurrent_workers"]),
        waves=int(data["waves"]),
    )


def _batch(data: dict[str, Any] | None) -> BatchPlan | None:
    if not data:
        return None
    return BatchPlan(cron=data["cron"], output_uri=data["output_uri"])


def load_plan(root: Path | None = None) -> StackPlan:
    """Read ``plan.json`` from ``root`` (the stack root by default) into a :class:`StackPlan`."""
    base = root if root is not None else stack_root()
    raw: dict[str, Any] = json.loads((base / "plan.json").read_text(encoding="utf-8"))
    validation = raw["data"]["validation"]
    return StackPlan(
        system=raw["system"]["name"],
        cloud=raw["infrastructure"]["cloud"],
        sources=tuple(_source(s) for s in raw["data"]["sources"]),
        validation=ValidationSpec(
            max_null_fraction=float(validation["max_null_fraction"]),
            freshness_max_minutes=validation.get("freshness_max_minutes"),
            min_rows=int(validation["min_rows"]),
        ),
        entities=tuple(
            EntitySpec(name=e["name"], key=e["key"], cardinality=int(e["cardinality"]))
            for e in raw["features"]["entities"]
        ),
        views=tuple(_view(v) for v in raw["features"]["views"]),
        models=tuple(_model(m, _monitored(raw, m["name"])) for m in raw["models"]),
        cron=raw["training"]["cron"],
        timezone=raw["training"].get("timezone", "UTC"),
        batch=_batch(raw["serving"].get("batch")),
        raw=raw,
    )
