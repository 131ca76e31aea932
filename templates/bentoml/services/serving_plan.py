"""The plan's serving section as frozen dataclasses, read from ``plan.json`` at run time.

The service, the exporter and the scorer read one object instead of walking the JSON, so a
misspelt key fails here, at start-up, and not on the first request. The raw ``serving``
mapping is kept too: the decision, experiment, cache and routing modules are built from it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BatchingConfig",
    "FeatureRef",
    "ReplicaConfig",
    "RequestField",
    "ServedModel",
    "ServingConfig",
    "service_root",
]

#: Overrides for local runs: a laptop needs fewer workers and more patience than a replica.
WORKERS_VARIABLE = "MLOPSGEN_SERVICE_WORKERS"
TIMEOUT_VARIABLE = "MLOPSGEN_SERVICE_TIMEOUT_S"

#: What an aggregate is over an empty window: a user never seen has made no transactions (0),
#: but has no mean amount (missing, which the models were trained to handle).
EMPTY_WINDOW_VALUES: Mapping[str, float | None] = {"count": 0, "count_distinct": 0, "sum": 0.0}


def service_root() -> Path:
    """The stack root: the folder holding ``plan.json``, ``pipelines/`` and ``services/``."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RequestField:
    """One field of a request row: its type and the bounds the schema enforces."""

    name: str
    type: str
    role: str
    nullable: bool
    min: float | None
    max: float | None
    values: tuple[str, ...] | None
    dim: int | None
    height: int | None = None
    width: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class ReplicaConfig:
    """What one replica requests and how much work it takes at once."""

    cpu: float
    memory_gib: float
    gpu: int
    gpu_class: str | None
    workers: int
    max_concurrency: int
    timeout_ms: float


@dataclass(frozen=True)
class BatchingConfig:
    """Adaptive batching: on only when a batch may hold two rows or more."""

    max_batch_size: int
    max_latency_ms: float

    @property
    def enabled(self) -> bool:
        """Whether the predict endpoint batches requests together."""
        return self.max_batch_size >= 2


@dataclass(frozen=True)
class FeatureRef:
    """A feature-view value a model reads: its view, feature, entity key and empty value."""

    view: str
    feature: str
    entity_key: str
    default: float | None

    @property
    def frame_column(self) -> str:
        """The column the training frame held it in (``<view>__<feature>``)."""
        return f"{self.view}__{self.feature}"

    @property
    def rule_name(self) -> str:
        """The name decision rules read it by (``<view>.<feature>``)."""
        return f"{self.view}.{self.feature}"


@dataclass(frozen=True)
class ServedModel:
    """A model the service calls: how it is stored and which view features it reads."""

    name: str
    task: str
    trainable: bool
    features: tuple[FeatureRef, ...]

    @property
    def tag(self) -> str:
        """Its name in the BentoML model store."""
        return self.name.lower()


@dataclass(frozen=True)
class ServingConfig:
    """The serving section of the plan, with the models the service needs."""

    service_name: str
    models: tuple[ServedModel, ...]
    request_fields: tuple[RequestField, ...]
    replica: ReplicaConfig
    batching: BatchingConfig
    batch_endpoint: bool
    serving: Mapping[str, Any]
    #: The share of predictions whose inputs the log keeps for the drift pipeline.
    drift_sample_fraction: float = 1.0

    @classmethod
    def load(cls, root: Path | None = None) -> ServingConfig:
        """Read ``plan.json`` of the stack at ``root`` (the stack holding this package)."""
        path = (root or service_root()) / "plan.json"
        return cls.from_plan(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> ServingConfig:
        """Build the configuration from the whole plan (the serving section and models)."""
        serving = plan["serving"]
        replica = serving["replica"]
        batching = serving["batching"]
        size = batching["max_batch_size"] if batching["enabled"] else None
        return cls(
            service_name=serving["service_name"],
            models=_served_models(plan, serving),
            request_fields=tuple(_request_field(f) for f in serving["request_fields"]),
            replica=ReplicaConfig(
                cpu=float(replica["cpu"]),
                memory_gib=float(replica["memory_gib"]),
                gpu=int(replica["gpu"]),
                gpu_class=replica["gpu_class"],
                workers=int(replica["workers"]),
                max_concurrency=int(replica["max_concurrency"]),
                timeout_ms=float(replica["timeout_ms"]),
            ),
            batching=BatchingConfig(
                max_batch_size=int(size or 1),
                max_latency_ms=float(batching["max_latency_ms"] or 0.0),
            ),
            batch_endpoint=serving["batch"] is not None,
            serving=serving,
            drift_sample_fraction=float(plan["monitoring"]["drift"]["sample_fraction"]),
        )

    def model(self, name: str) -> ServedModel:
        """The served model called ``name``."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(f"the service has no model {name!r}")

    @property
    def features(self) -> tuple[FeatureRef, ...]:
        """Every view feature any served model reads, each once, in plan order."""
        seen: dict[str, FeatureRef] = {}
        for model in self.models:
            for ref in model.features:
                seen.setdefault(ref.frame_column, ref)
        return tuple(seen.values())

    @property
    def workers(self) -> int:
        """Worker processes per replica: the plan's, or ``MLOPSGEN_SERVICE_WORKERS``."""
        return _positive_int(os.environ.get(WORKERS_VARIABLE)) or self.replica.workers

    @property
    def timeout_s(self) -> float:
        """Request timeout in seconds: the plan's, or ``MLOPSGEN_SERVICE_TIMEOUT_S``."""
        override = os.environ.get(TIMEOUT_VARIABLE)
        if override:
            return float(override)
        return self.replica.timeout_ms / 1000.0

    @property
    def per_worker_concurrency(self) -> int:
        """In-flight requests one worker accepts before it sheds (the replica's share)."""
        return max(1, math.ceil(self.replica.max_concurrency / self.workers))

    def resources(self) -> dict[str, Any]:
        """BentoML's ``resources`` of one replica."""
        out: dict[str, Any] = {
            "cpu": f"{self.replica.cpu:g}",
            "memory": f"{self.replica.memory_gib:g}Gi",
        }
        if self.replica.gpu > 0:
            out["gpu"] = self.replica.gpu
            if self.replica.gpu_class:
                out["gpu_type"] = self.replica.gpu_class
        return out

    def batching_options(self) -> dict[str, Any]:
        """Options of ``@bentoml.api`` for the predict endpoint: adaptive batching or none."""
        if not self.batching.enabled:
            return {}
        return {
            "batchable": True,
            "max_batch_size": self.batching.max_batch_size,
            "max_latency_ms": self.batching.max_latency_ms,
        }


def _positive_int(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    if value < 1:
        raise ValueError(f"{WORKERS_VARIABLE} must be at least 1, not {value}")
    return value


def _request_field(data: Mapping[str, Any]) -> RequestField:
    values = data.get("values")
    return RequestField(
        name=data["name"],
        type=data["type"],
        role=data["role"],
        nullable=bool(data["nullable"]),
        min=data.get("min"),
        max=data.get("max"),
        values=tuple(values) if values is not None else None,
        dim=data.get("dim"),
        height=data.get("height"),
        width=data.get("width"),
        channels=data.get("channels"),
    )


def _served_models(plan: Mapping[str, Any], serving: Mapping[str, Any]) -> tuple[ServedModel, ...]:
    """The served models, with each view feature resolved to its entity key and empty value.

    The routing fallback is served too, though the plan's list leaves it out: it answers the
    rows no shard takes.
    """
    features = plan["features"]
    keys = {entity["name"]: entity["key"] for entity in features["entities"]}
    views = {view["name"]: view for view in features["views"]}
    by_name = {model["name"]: model for model in plan["models"]}
    names = list(serving["models"])
    routing = serving.get("routing") or {}
    if routing.get("fallback") and routing["fallback"] not in names:
        names.append(routing["fallback"])
    out = []
    for name in names:
        model = by_name[name]
        refs = []
        for item in model["inputs"]:
            if item["kind"] != "feature":
                continue
            view = views[item["view"]]
            agg = next(f["agg"] for f in view["features"] if f["name"] == item["feature"])
            refs.append(
                FeatureRef(
                    view=view["name"],
                    feature=item["feature"],
                    entity_key=keys[view["entity"]],
                    default=EMPTY_WINDOW_VALUES.get(agg),
                )
            )
        out.append(
            ServedModel(
                name=name,
                task=model["task"],
                trainable=bool(model["trainable"]),
                features=tuple(refs),
            )
        )
    return tuple(out)
