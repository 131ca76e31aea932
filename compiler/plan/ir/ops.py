"""Plan sections for operations: availability, compute, monitoring, cost, infrastructure.

Terraform and the monitoring renderers read these: zones and node pools, burn-rate alert
windows, alert routing, the latency alert threshold and the cost estimate.
"""

from __future__ import annotations

from mlopsgen.plan.ir.base import PlanModel


class BurnRateAlert(PlanModel):
    """One multi-window burn-rate alert (Google SRE workbook, chapter 5)."""

    severity: str
    burn_rate: float
    long_window: str
    short_window: str
    budget_consumed_percent: float
    error_rate_threshold: float


class ComponentAvailability(PlanModel):
    """One element of the serving path and the availability assumed or composed for it."""

    name: str
    availability: float
    basis: str


class AvailabilityPlan(PlanModel):
    """Zones, error budget, alert windows and the composed availability of the path."""

    target_percent: float
    zones: int
    zones_for_target: int
    zone_loss_tolerated: bool
    error_budget_minutes: float
    burn_rate_alerts: tuple[BurnRateAlert, ...]
    components: tuple[ComponentAvailability, ...]
    composed_percent: float
    meets_target: bool
    regional_sla_percent: float | None
    at_regional_sla: bool


class NodePool(PlanModel):
    """A Kubernetes node pool: instance type, per-node packing and node counts.

    ``pods_per_node`` is the serving replicas one node holds (0 for pools whose pods vary:
    system add-ons, training shards, batch workers); ``planned_nodes`` is the planned peak
    fleet and ``expected_nodes`` the mean over the day's traffic, which the cost estimate
    bills (zero for pools that scale from zero: they are billed by node-hours).
    """

    name: str
    role: str
    instance_type: str
    vcpu: int
    memory_gib: int
    gpus: int
    gpu_class: str | None
    pods_per_node: int
    min_nodes: int
    max_nodes: int
    planned_nodes: int
    expected_nodes: float
    capacity_type: str
    taints: tuple[str, ...]


class ComputePlan(PlanModel):
    """Node pools of a cloud cluster, or the ``local`` profile with none."""

    profile: str
    instance_table_date: str
    pools: tuple[NodePool, ...]


class BusinessMetricPlan(PlanModel):
    """A business metric: what experiments are judged by and dashboards show."""

    name: str
    direction: str
    unit: str | None
    description: str | None


class GuardrailPlan(PlanModel):
    """A bound that gates promotion of the models listed and is alerted on live."""

    metric: str
    min: float | None
    max: float | None
    gated_models: tuple[str, ...]


class BusinessPlan(PlanModel):
    """Business metrics and guardrails, as the spec states them."""

    metrics: tuple[BusinessMetricPlan, ...]
    guardrails: tuple[GuardrailPlan, ...]


class DriftPlan(PlanModel):
    """Input-drift detection settings, and the sample of requests the service logs for it.

    ``bins`` is the number of quantile bins of a numeric input's PSI; ``sample_rows`` the
    rows a window needs so two samples of one distribution score well below ``warn``;
    ``sample_fraction`` the share of requests whose inputs the service logs to get them.
    """

    method: str
    warn: float
    alert: float
    window: str
    window_seconds: int
    bins: int
    sample_rows: int
    sample_fraction: float


class QualityPlan(PlanModel):
    """A live model-quality bound, optionally per slice.

    ``live``: outcome ingestion measures it on the outcomes joined to logged predictions (and
    an alert watches it); otherwise it is measured at evaluation only.
    """

    model: str
    metric: str
    min: float | None
    max: float | None
    by: str | None
    window: str
    window_seconds: int
    live: bool


class AlertRoute(PlanModel):
    """Where alerts of one severity go."""

    severity: str
    channel: str
    target: str | None


class LatencyAlert(PlanModel):
    """Alert when the latency quantile stays over the SLO threshold."""

    quantile: float
    threshold_ms: float
    for_minutes: int
    severity: str


class ShedAlert(PlanModel):
    """Alert on load shedding (HTTP 503): the service is out of capacity."""

    ratio: float
    for_minutes: int
    severity: str


class TrainingFreshness(PlanModel):
    """The oldest a trainable model's production version may get before a ticket."""

    model: str
    max_age_hours: float


class MonitoringPlan(PlanModel):
    """Drift, quality, alert routing and the SLO-derived alerts."""

    drift: DriftPlan
    quality: tuple[QualityPlan, ...]
    routes: tuple[AlertRoute, ...]
    latency_alert: LatencyAlert | None
    shed_alert: ShedAlert | None
    freshness_alert_minutes: float | None
    dashboards: bool
    training_freshness: tuple[TrainingFreshness, ...]


class CostItem(PlanModel):
    """One component of the monthly estimate and how it was computed."""

    component: str
    monthly_usd: float
    basis: str


class ServingCost(PlanModel):
    """The serving fleet's month: at the HPA floor, over the day's profile, and at peak."""

    floor_nodes: int
    expected_nodes: float
    peak_nodes: int
    floor_usd_month: float
    expected_usd_month: float
    peak_usd_month: float


class CostPlan(PlanModel):
    """Monthly estimate from an offline, dated list-price table, against the budget.

    ``total_usd_month`` is the expected month (serving over the day's traffic profile);
    ``floor_usd_month`` and ``peak_usd_month`` replace serving by its floor or its peak.
    ``price_region`` and ``region_factor`` say which prices were used.
    """

    price_table_date: str
    price_source: str
    price_region: str | None
    region_factor: float
    currency: str
    items: tuple[CostItem, ...]
    serving: ServingCost | None
    total_usd_month: float
    floor_usd_month: float
    peak_usd_month: float
    budget_usd_month: float | None
    over_budget: bool
    over_budget_at_peak: bool
    budget_used_percent: float | None


class InfrastructurePlan(PlanModel):
    """Cloud, region, the concrete zones and cluster settings."""

    cloud: str
    region: str | None
    zones: tuple[str, ...]
    kubernetes_version: str
    gpu_class: str | None
    gpu_instance_type: str | None
