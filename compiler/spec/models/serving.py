"""Spec models for serving: modes, batching, caching, routing, decisions, experiments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel, invalid
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


class Effect(SpecModel):
    """The smallest change worth detecting, saying whether it is relative or absolute."""

    relative: float | None = Field(default=None, gt=0, le=10)
    """A fraction of the baseline: 0.05 detects a 5 % change (0.30 → 0.315)."""
    absolute: float | None = Field(default=None, gt=0, le=10**9)
    """In the metric's own unit: 0.02 on a 0.30 rate detects 0.30 → 0.32."""

    @model_validator(mode="after")
    def _one_kind(self) -> Effect:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("a minimum detectable effect sets exactly one of relative or absolute")
        return self


class Experiment(SpecModel):
    """A randomised controlled trial on a business metric.

    The metric is a rate (``baseline_rate``: a proportion per unit, such as conversion) or a
    mean (``baseline_mean`` and ``baseline_stddev`` per unit, such as dollars lost); the two
    need different sample-size formulas, so exactly one kind is given.
    """

    name: Name
    unit: FieldName
    """Randomisation unit (a user or entity id): assignment is sticky by its hash."""
    metric: Name
    baseline_rate: float | None = Field(default=None, gt=0, lt=1)
    """A rate metric's current value per unit (a proportion: CTR, conversion)."""
    baseline_mean: float | None = Field(default=None, ge=-(10**12), le=10**12)
    """A mean metric's current value per unit, in the metric's unit (USD lost per user)."""
    baseline_stddev: float | None = Field(default=None, gt=0, le=10**12)
    """Standard deviation of a mean metric per unit, from history."""
    minimum_detectable_effect: Effect | float
    """``{relative: 0.05}`` (5 % of the baseline) or ``{absolute: 0.002}`` (metric units).
    A bare number is rejected with the fix (E330): it does not say which it is."""
    variants: dict[Name, Variant] = Field(min_length=2, max_length=10)
    split: dict[Name, float] = Field(min_length=2, max_length=10)
    """Percent of experiment traffic per variant; sums to 100."""
    traffic_percent: float = Field(default=100, gt=0, le=100)
    """Share of all traffic enrolled in the experiment."""
    daily_units: int | None = Field(default=None, ge=1, le=10**11)
    """Distinct units per day; unset, the unit entity's cardinality (every unit active daily,
    an upper bound). Never the request volume: a user sends many requests."""
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    max_duration_days: int = Field(default=56, ge=1, le=730)
    expected_disagreement_percent: float | None = Field(default=None, gt=0, le=100)
    """Percent of requests on which the arms are expected to decide differently (from
    scoring a sample with both models). Set, the effect is read as the effect on those
    requests; diluted over everyone it needs (100 / this)² times the units."""


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
            raise invalid(
                f"mode {self.mode!r} needs a batch section (schedule, output_uri)",
                "add under serving: `batch: {schedule: daily, output_uri: s3://bucket/scores/}`, "
                "or set `mode: realtime`",
            )
        return self
