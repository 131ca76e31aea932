"""Spec models for serving: modes, batching, caching, routing, decisions, experiments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel
from mlopsgen.spec.models.types import Cadence, Duration, FieldName, Label, Name, Text


class Batching(SpecModel):
    """Adaptive batching; the planner derives both numbers from the latency budget."""

    enabled: bool = True
    max_batch_size: int | None = Field(default=None, ge=1, le=4096)
    max_latency_ms: float | None = Field(default=None, gt=0, le=60000)


class Cache(SpecModel):
    """A prediction/feature cache in front of the models."""

    enabled: bool = True
    key: list[FieldName] = Field(min_length=1, max_length=20)
    """Request fields that identify a cacheable answer."""
    ttl: Duration = "1h"
    hit_ratio: float = Field(default=0.3, ge=0, lt=1)
    """Expected share of requests answered from cache; lowers model load in the plan."""
    max_entries: int | None = Field(default=None, ge=1, le=10**10)


class Routing(SpecModel):
    """Route each request to the partition model for a key (NLP: per-language models)."""

    key: FieldName
    detector: Name | None = None
    """Model that fills the key when the request lacks it (language identification)."""
    targets: list[Name] = Field(min_length=1, max_length=50)
    """Partitioned models (``partition_by`` = key) called for every request."""
    fallback: Name | None = None
    """Model used for key values without a partition model of their own."""


class Rule(SpecModel):
    """A business rule in the safe expression language; never evaluated as Python."""

    name: Name
    when: Label
    action: Literal["decline", "review", "approve", "flag"]
    description: Text | None = None


class Decision(SpecModel):
    """ML + rules hybrid: ensemble score, thresholds per action, and rules that override."""

    ensemble: dict[Name, float] = Field(min_length=1, max_length=20)
    """Member models and their weights (summing to 1)."""
    anomaly_model: Name | None = None
    thresholds: dict[Literal["decline", "review", "flag"], float] = Field(
        default_factory=dict, max_length=3
    )
    """Score above which the action is taken."""
    rules: list[Rule] = Field(default_factory=list, max_length=500)


class Variant(SpecModel):
    """What a variant changes: the model answering, or the ensemble weights."""

    model: Name | None = None
    stage: Literal["production", "staging", "latest"] = "production"
    """Which registered version of the model answers: A/B tests of model versions."""
    ensemble: dict[Name, float] | None = None
    description: Text | None = None


class Experiment(SpecModel):
    """A randomised controlled trial on a business metric."""

    name: Name
    unit: FieldName
    """Randomisation unit (a user or entity id): assignment is sticky by its hash."""
    metric: Name
    baseline_rate: float = Field(gt=0, lt=1)
    """The metric's current rate (a proportion: CTR, fraud rate, conversion)."""
    minimum_detectable_effect: float = Field(gt=0, le=10)
    """Smallest relative change worth detecting (0.05 = 5 %)."""
    variants: dict[Name, Variant] = Field(min_length=2, max_length=10)
    split: dict[Name, float] = Field(min_length=2, max_length=10)
    """Percent of experiment traffic per variant; sums to 100."""
    traffic_percent: float = Field(default=100, gt=0, le=100)
    """Share of all traffic enrolled in the experiment."""
    daily_units: int | None = Field(default=None, ge=1, le=10**11)
    """Distinct units per day; defaults to the daily request volume."""
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    max_duration_days: int = Field(default=56, ge=1, le=730)


class BatchServing(SpecModel):
    """Scheduled bulk scoring."""

    schedule: Cadence = "daily"
    window_minutes: float = Field(default=60, gt=0, le=10080)
    """Time the batch job must finish in."""
    output_uri: Label
    rows_per_run: int | None = Field(default=None, ge=1, le=10**12)


class Serving(SpecModel):
    """How predictions reach users."""

    mode: Literal["realtime", "batch", "both"] = "realtime"
    models: list[Name] = Field(min_length=1, max_length=100)
    """Models on the request path, in the order they are called."""
    request_fields: list[FieldName] | None = Field(default=None, max_length=500)
    """Source columns a request carries; defaults to the served models' raw inputs."""
    batching: Batching = Batching()
    cache: Cache | None = None
    routing: Routing | None = None
    decision: Decision | None = None
    experiments: list[Experiment] = Field(default_factory=list, max_length=20)
    batch: BatchServing | None = None
    timeout_ms: float | None = Field(default=None, gt=0, le=600000)

    @model_validator(mode="after")
    def _batch_section(self) -> Serving:
        if self.mode in ("batch", "both") and self.batch is None:
            raise ValueError(f"mode {self.mode!r} needs a batch section (schedule, output_uri)")
        return self
