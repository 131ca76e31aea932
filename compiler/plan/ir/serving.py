"""Plan sections for serving: the request path, capacity, autoscaling and what runs on it.

The BentoML and Kubernetes renderers read these: typed request fields, the stages of the
path with their calibrated service times, replicas and their zone spread, the HPA with its
``behavior`` block, the PodDisruptionBudget, batching, cache, routing, the decision engine,
experiments and the batch job.
"""

from __future__ import annotations

from mlopsgen.expr import Expr, parse_expression
from mlopsgen.plan.ir.base import PlanModel
from mlopsgen.plan.ir.data import FieldPlan


class StagePlan(PlanModel):
    """One step of the request path with its calibrated cost.

    ``applies_to`` is ``all`` for steps every request takes and ``misses`` for steps that
    only cache misses take; replica time per request adds up along the path.
    """

    name: str
    kind: str
    service_time_ms: float
    per_replica_rps: float
    applies_to: str
    batchable: bool
    share: float = 1.0
    """Share of the requests taking this step that call it: an experiment arm's model is
    called only for its arm (and, for the control, for requests outside the experiment)."""
    alternative_of: str | None = None
    """The experiment whose arms call this model or another: a request pays only one."""


class CapacityPlan(PlanModel):
    """Replicas from Little's law and the M/M/1 utilisation target, spread over zones."""

    peak_rps: float
    average_rps: float
    cache_hit_ratio: float
    service_time_ms: float
    per_replica_rps: float
    utilisation_raw: float
    utilisation: float
    batching_window_ms: float
    """The dispatcher's window, taken from the p95 before queueing (0: no batching)."""
    queueing_ms: float
    """Queueing part of the M/M/1 sojourn p95 at the planned utilisation (p95 less S)."""
    latency_total_ms: float
    """S + queueing + batching window: at most the p95 when the SLO is met."""
    latency_slo_met: bool
    in_flight: float
    replicas_needed: int
    zones: int
    spare_per_zone: int
    replicas_per_zone: int
    replicas: int
    scaling_utilisation: float


class ScalingPolicy(PlanModel):
    """One HPA scaling policy (Kubernetes ``type``/``value``/``periodSeconds``)."""

    type: str
    value: int
    period_seconds: int


class ScalingRules(PlanModel):
    """One direction of the HPA ``behavior`` block."""

    stabilization_window_seconds: int
    select_policy: str
    policies: tuple[ScalingPolicy, ...]


class HpaBehavior(PlanModel):
    """The explicit ``behavior`` block: fast up, slow down."""

    scale_up: ScalingRules
    scale_down: ScalingRules


class HpaPlan(PlanModel):
    """HorizontalPodAutoscaler bounds, CPU target and behaviour."""

    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    behavior: HpaBehavior
    target_running_sequences: int | None = None
    """A language model's engine: the sequences running per pod the HPA holds it at (its
    CPU says nothing of a GPU-bound engine's load); None for the classic services."""


class PdbPlan(PlanModel):
    """PodDisruptionBudget: ``max_unavailable`` is None when no budget should be created."""

    enabled: bool
    max_unavailable: int | None


class ReplicaPlan(PlanModel):
    """What one serving replica requests and how it handles concurrent work."""

    cpu: float
    memory_gib: int
    gpu: int
    gpu_class: str | None
    workers: int
    concurrency: int
    max_concurrency: int
    timeout_ms: float


class BatchingPlan(PlanModel):
    """Adaptive batching numbers derived from the latency budget (never the 60 s default)."""

    enabled: bool
    max_batch_size: int | None
    max_latency_ms: float | None
    batched_models: tuple[str, ...]


class CachePlan(PlanModel):
    """The prediction cache: key, TTL, expected hit ratio, size and where it lives."""

    enabled: bool
    key: tuple[str, ...]
    ttl: str
    ttl_seconds: int
    hit_ratio: float
    max_entries: int
    entry_bytes: int
    memory_mb: float
    backend: str


class RoutingPlan(PlanModel):
    """Per-key routing to partition models, with the detector that fills a missing key."""

    key: str
    detector: str | None
    targets: tuple[str, ...]
    fallback: str | None
    partition_values: tuple[str, ...] | None


class RulePlan(PlanModel):
    """A business rule: its text as written, canonical text, and what it reads."""

    name: str
    when: str
    canonical: str
    action: str
    description: str | None
    references: tuple[str, ...]

    @property
    def expr(self) -> Expr:
        """The rule as a rule-language tree, parsed from its canonical text.

        What a target emits (as Python for a service, say) without reading the spec; the
        canonical text is what ``plan.json`` stores, so the tree is not stored twice.
        """
        return parse_expression(self.canonical)


class DecisionEnginePlan(PlanModel):
    """ML + rules hybrid: ensemble weights, action thresholds, ordered rules."""

    ensemble: dict[str, float]
    anomaly_model: str | None
    thresholds: dict[str, float]
    rules: tuple[RulePlan, ...]


class VariantPlan(PlanModel):
    """What one experiment arm changes."""

    name: str
    model: str | None
    stage: str
    ensemble: dict[str, float] | None
    description: str | None
    split_percent: float


class ExperimentPlan(PlanModel):
    """A randomised trial with its planned sample size and duration."""

    name: str
    unit: str
    metric: str
    direction: str | None
    salt: str
    metric_kind: str
    """``rate`` (two-proportion test) or ``mean`` (two-sample test on a mean)."""
    baseline: float
    baseline_stddev: float | None
    effect_kind: str
    """How the spec stated the effect: ``relative`` or ``absolute``."""
    minimum_detectable_effect: float
    effect: float
    """The absolute change to detect, in the metric's unit."""
    treatment: float
    alpha: float
    power: float
    variants: tuple[VariantPlan, ...]
    traffic_percent: float
    daily_units: int
    daily_units_from: str
    population: int | None
    sample_size_per_arm: int
    """Units per arm the whole population needs: diluted by the expected disagreement."""
    expected_disagreement: float | None
    """The share of requests where the arms decide differently, when the spec states it."""
    triggered_sample_size_per_arm: int
    """Units per arm where the arms differ: the sample before dilution."""
    disagreement_sample_fraction: float
    """Share of enrolled requests the service also scores with the other arm."""
    limiting_arm: str
    days_needed: float
    duration_days: int
    label_delay_days: float
    readout_days: float
    max_duration_days: int
    fits: bool


class BatchJobPlan(PlanModel):
    """The scheduled bulk-scoring job and the workers it needs to fit its window."""

    cron: str
    window_minutes: float
    output_uri: str
    rows_per_run: int | None
    rows_per_second_per_worker: float
    workers: int
    expected_minutes: float | None
    runs_per_month: float


class ServingPlan(PlanModel):
    """Everything the service, its Kubernetes objects and its load test need."""

    mode: str
    realtime: bool
    service_name: str
    models: tuple[str, ...]
    request_fields: tuple[FieldPlan, ...]
    latency_p95_ms: float | None
    stages: tuple[StagePlan, ...]
    capacity: CapacityPlan | None
    hpa: HpaPlan | None
    pdb: PdbPlan | None
    replica: ReplicaPlan
    batching: BatchingPlan
    cache: CachePlan | None
    routing: RoutingPlan | None
    decision: DecisionEnginePlan | None
    experiments: tuple[ExperimentPlan, ...]
    batch: BatchJobPlan | None
