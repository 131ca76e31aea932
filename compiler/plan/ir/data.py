"""Plan sections for the system, its data, feature store, models and training.

These are the resolved forms of the spec's sections: defaults applied, references linked
(``view.*`` expanded into concrete features, partition cardinalities looked up), durations in
seconds and schedules as cron. Renderers for pipelines, synthetic data, Feast and request
schemas read them and never look at the spec.
"""

from __future__ import annotations

from mlopsgen.plan.ir.base import PlanModel
from mlopsgen.plan.ir.llm import LlmPlan


class SystemPlan(PlanModel):
    """Who owns the system and which spec (by file and hash) the plan was built from."""

    name: str
    description: str
    owner: str
    spec_file: str
    spec_sha256: str
    spec_version: int
    k8s_name: str
    python_name: str


class FieldPlan(PlanModel):
    """One column: enough to validate it, synthesise it and put it in a request schema."""

    name: str
    type: str
    role: str
    nullable: bool
    description: str | None = None
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] | None = None
    dim: int | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None


class SourcePlan(PlanModel):
    """A data source with its full schema, in spec order."""

    name: str
    kind: str
    uri: str
    format: str | None
    event_time: str | None
    label: str | None
    label_delay_days: float
    label_rate: float | None
    rows_per_day: int | None
    row_bytes: int
    fields: tuple[FieldPlan, ...]


class ValidationPlan(PlanModel):
    """Checks every training run applies before it trains."""

    max_null_fraction: float
    freshness_max_minutes: float | None
    min_rows: int


class DataPlan(PlanModel):
    """All sources and the batch-validation thresholds."""

    sources: tuple[SourcePlan, ...]
    validation: ValidationPlan


class EntityPlan(PlanModel):
    """A feature-store entity: its join key, the key's type and how many keys exist."""

    name: str
    key: str
    key_type: str
    cardinality: int
    description: str | None


class FeaturePlan(PlanModel):
    """One aggregated feature with its window in seconds and its output type."""

    name: str
    agg: str
    column: str | None
    window: str
    window_seconds: int
    dtype: str


class ViewPlan(PlanModel):
    """A feature view: TTL in seconds and, for batch views, how often it is materialised."""

    name: str
    entity: str
    source: str
    ttl: str
    ttl_seconds: int
    compute: str
    online: bool
    materialization_cron: str | None
    materialization_interval_seconds: int | None
    max_staleness_seconds: int | None
    features: tuple[FeaturePlan, ...]


class OnlineStorePlan(PlanModel):
    """The online store: which service, its load, how it is provisioned, its price and SLA.

    ``nodes`` counts billed nodes (Redis shards x (1 + replicas), Bigtable nodes over all
    clusters); ``monthly_usd`` is at the reference region's list price, before the region
    factor the cost estimate applies; ``sla_percent`` is None when no managed store exists.
    """

    kind: str
    service: str
    keys: int
    feature_values: int
    data_bytes: int
    cache_bytes: int
    memory_gb: float
    reads_per_second: float
    writes_per_second: float
    node_type: str | None
    node_memory_gb: float | None
    shards: int
    replicas_per_shard: int
    nodes: int
    clusters: int
    capacity_mode: str | None
    sla_percent: float | None
    sla_basis: str
    monthly_usd: float
    cost_basis: str
    path: str | None


class FeaturesPlan(PlanModel):
    """Entities, views and both stores; ``local`` stacks get SQLite and parquet files."""

    online_store: OnlineStorePlan
    offline_store: str
    offline_location: str
    entities: tuple[EntityPlan, ...]
    views: tuple[ViewPlan, ...]


class InputPlan(PlanModel):
    """A concrete model input: a source column or one feature of a view."""

    name: str
    kind: str
    type: str
    column: str | None = None
    view: str | None = None
    feature: str | None = None


class GatePlan(PlanModel):
    """A promotion gate after merging model gates with the business guardrails."""

    metric: str
    min: float | None
    max: float | None
    at_recall: float | None
    by: str | None
    origin: str


class PartitionPlan(PlanModel):
    """One model per value of a column, trained in shards of several partitions."""

    column: str
    cardinality: int
    cardinality_from: str
    values: tuple[str, ...] | None
    partitions_per_shard: int
    shards: int
    concurrent_workers: int
    waves: int


class CalibrationPlan(PlanModel):
    """The serving figures used for a model and where they came from."""

    device: str
    service_time_ms: float
    per_replica_rps: float
    memory_mb: float
    origin: str
    table_key: str
    adjustments: tuple[str, ...]
    assumed: bool = False
    """The table has no measured entry for this kind and size: the figure is scaled."""


class StepPlan(PlanModel):
    """Resources of one pipeline step on a cluster."""

    name: str
    cpu: float
    memory_gib: float
    gpu: int


class ModelPlan(PlanModel):
    """One model, resolved: inputs, partitions, gates, optimisation and serving figures."""

    name: str
    task: str
    framework: str
    size: str
    description: str | None
    source: str
    target: str | None
    target_type: str | None
    inputs: tuple[InputPlan, ...]
    partition: PartitionPlan | None
    gates: tuple[GatePlan, ...]
    gpu_training: int
    gpu_serving: int
    quantization: str
    pruning_sparsity: float
    max_accuracy_drop: float
    augmentation: tuple[str, ...]
    horizon_days: int | None
    seasonality_days: tuple[float, ...]
    embedding_dim: int | None
    params: dict[str, bool | int | float | str]
    calibration: CalibrationPlan
    trainable: bool
    served: bool
    steps: tuple[StepPlan, ...]
    llm: LlmPlan | None = None
    """A language model's GPU sizing and engine settings (text_generation, embedding)."""


class TriggerPlan(PlanModel):
    """A retraining trigger with its threshold and, when predictable, how often it fires."""

    kind: str
    metric: str | None
    threshold: float | None
    min_rows: int | None
    expected_interval_hours: float | None


class RolloutPlan(PlanModel):
    """How a promoted model reaches all traffic, and how long that takes."""

    strategy: str
    steps_percent: tuple[float, ...]
    step_minutes: int
    total_minutes: int
    #: How often the controller judges a running step, in minutes (0: ``all_at_once``).
    check_minutes: int


class TrainingModelPlan(PlanModel):
    """When one model trains and how its training fans out."""

    name: str
    trainable: bool
    cron: str
    shards: int
    concurrent_workers: int
    waves: int
    runs_per_month: float
    hours_per_shard: float
    rows_per_shard: int
    features: int
    window_minutes: float
    cpu: float
    memory_gib: float
    gpu: int
    fits_window: bool


class TrainingPlan(PlanModel):
    """Schedules, triggers, rollout and per-model training plans."""

    cadence: str
    continuous: bool
    cron: str
    timezone: str
    trigger_check_cron: str
    trigger_check_minutes: int
    triggers: tuple[TriggerPlan, ...]
    lookback_days: int
    max_workers: int
    rollout: RolloutPlan
    models: tuple[TrainingModelPlan, ...]
