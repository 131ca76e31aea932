"""Spec models for ML models and their training."""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel, invalid
from mlopsgen.spec.models.llm import Llm
from mlopsgen.spec.models.types import Cadence, FieldName, Label, Name, Text

Task = Literal[
    "binary_classification",
    "multiclass_classification",
    "regression",
    "ranking",
    "retrieval",
    "anomaly_detection",
    "image_classification",
    "object_detection",
    "sentiment_analysis",
    "entity_recognition",
    "language_identification",
    "forecasting",
    "text_generation",
    "embedding",
]
Framework = Literal[
    "sklearn", "xgboost", "lightgbm", "pytorch", "statsforecast", "langdetect", "transformers"
]
ModelSize = Literal["small", "medium", "large"]
Augmentation = Literal[
    "flip_horizontal", "random_crop", "rotate", "color_jitter", "gaussian_noise", "mixup"
]


class Gate(SpecModel):
    """A promotion gate: the candidate is registered as production only if it passes."""

    metric: Name
    min: float | None = None
    max: float | None = None
    at_recall: float | None = Field(default=None, gt=0, le=1)
    """Evaluate the metric at the threshold that gives this recall (e.g. FPR at recall 0.8)."""
    by: FieldName | None = None
    """Slice column: the gate must hold for every value of it (e.g. accuracy per language)."""

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        if (self.min is None) == (self.max is None):
            raise invalid(
                "a gate sets exactly one of min or max",
                "keep `min:` for a metric that must stay high, `max:` for one that must stay low",
            )
        return self


class GpuRequest(SpecModel):
    """GPUs per training job and per serving replica (0: CPU only)."""

    training: int = Field(default=0, ge=0, le=16)
    serving: int = Field(default=0, ge=0, le=16)


class Optimization(SpecModel):
    """Post-training optimisation, checked against an accuracy budget before promotion."""

    quantization: Literal["none", "int8", "fp16"] = "none"
    pruning_sparsity: float = Field(default=0, ge=0, le=0.95)
    max_accuracy_drop: float = Field(default=0.01, ge=0, le=0.5)
    """Largest accuracy loss allowed versus the unoptimised model."""


class Calibration(SpecModel):
    """Measured serving figures that override the planner's calibration table."""

    service_time_ms: float = Field(gt=0, le=600000)
    per_replica_rps: float | None = Field(default=None, gt=0, le=10**6)


class TrainingResources(SpecModel):
    """Per-step resources of the training job on a cluster."""

    cpu: float = Field(default=2, gt=0, le=192)
    memory_gib: float = Field(default=4, gt=0, le=2048)


class ModelSpec(SpecModel):
    """One model: what it predicts, from what, with what, and what it must achieve."""

    name: Name
    task: Task
    framework: Framework
    size: ModelSize = "medium"
    """Drives the calibration table's service time when no measured calibration is given."""
    parameter_count: int | None = Field(default=None, ge=1, le=10**13)
    """Trainable parameters of the network; a count beyond what the calibration table models
    (e.g. a multi-billion-parameter text model) is refused unless calibration: is measured."""
    description: Text | None = None
    target: FieldName | None = None
    """Label column predicted; anomaly detection and language identification may omit it."""
    inputs: list[Label] = Field(default_factory=list, max_length=2000)
    """Source columns, ``view.feature`` or ``view.*`` feature references."""
    partition_by: FieldName | None = None
    """Train one model per value of this column (per language, per series shard)."""
    gates: list[Gate] = Field(default_factory=list, max_length=50)
    gpu: GpuRequest = GpuRequest()
    optimization: Optimization = Optimization()
    augmentation: list[Augmentation] = Field(default_factory=list, max_length=10)
    calibration: Calibration | None = None
    resources: TrainingResources = TrainingResources()
    horizon_days: int | None = Field(default=None, ge=1, le=3650)
    """Forecast horizon (forecasting)."""
    seasonality_days: list[float] = Field(default_factory=list, max_length=10)
    """Seasonal periods in days (7: weekly, 365.25: yearly) for forecasting features."""
    embedding_dim: int | None = Field(default=None, ge=2, le=8192)
    """Embedding width of a retrieval model."""
    params: dict[Name, float | int | str | bool] = Field(default_factory=dict, max_length=100)
    """Framework hyper-parameters passed through unchanged."""
    llm: Llm | None = None
    """A language model's architecture, token lengths and token-level SLOs (text_generation,
    embedding): the planner sizes its GPUs from them."""


class DriftTrigger(SpecModel):
    """Retrain when a feature's distribution drifts past a threshold."""

    kind: Literal["drift"]
    metric: Literal["psi", "ks", "wasserstein", "jensen_shannon"] = "psi"
    threshold: float = Field(gt=0, le=10)


class NewLabelsTrigger(SpecModel):
    """Retrain when enough newly labelled rows have arrived."""

    kind: Literal["new_labels"]
    min_rows: int = Field(ge=1, le=10**12)


class NewDataTrigger(SpecModel):
    """Retrain when enough new raw data has arrived (images, documents)."""

    kind: Literal["new_data"]
    min_rows: int = Field(ge=1, le=10**12)


class PerformanceTrigger(SpecModel):
    """Retrain when a live quality metric crosses a bound."""

    kind: Literal["performance"]
    metric: Name
    min: float


Trigger = Annotated[
    DriftTrigger | NewLabelsTrigger | NewDataTrigger | PerformanceTrigger,
    Field(discriminator="kind"),
]


class Rollout(SpecModel):
    """How a promoted model reaches traffic."""

    strategy: Literal["canary", "blue_green", "shadow", "all_at_once"] = "canary"
    steps_percent: list[float] = Field(default_factory=lambda: [10.0, 50.0, 100.0], max_length=20)
    step_minutes: int = Field(default=30, ge=1, le=10080)

    @model_validator(mode="after")
    def _steps(self) -> Rollout:
        steps = self.steps_percent
        if self.strategy == "canary":
            if not steps or steps[-1] != 100:
                raise invalid(
                    "canary steps_percent must end at 100",
                    "end the list with 100, e.g. steps_percent: [10, 50, 100]",
                )
            if any(b <= a for a, b in itertools.pairwise(steps)) or steps[0] <= 0:
                raise invalid(
                    "canary steps_percent must increase strictly from above 0",
                    "list rising percentages, e.g. steps_percent: [10, 50, 100]",
                )
        return self


class Parallelism(SpecModel):
    """How partitioned training fans out."""

    max_workers: int = Field(default=8, ge=1, le=10000)
    partitions_per_shard: int | None = Field(default=None, ge=1, le=10**9)
    """Override the calibration table's partitions (series, languages) per training shard."""


class Training(SpecModel):
    """When and how models retrain."""

    cadence: Cadence = "daily"
    triggers: list[Trigger] = Field(default_factory=list, max_length=20)
    lookback_days: int = Field(default=90, ge=1, le=3650)
    """Training window of historical data."""
    max_rows: int | None = Field(default=None, ge=1, le=10**13)
    """Most rows one training job reads, sampled from the lookback window (each shard of a
    partitioned model reads at most this many); unset, a job reads every row."""
    parallelism: Parallelism = Parallelism()
    rollout: Rollout = Rollout()
    schedule_timezone: Label = "UTC"
