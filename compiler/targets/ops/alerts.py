"""Prometheus alert rules from the Plan's SLO alerts, on the metrics the service exports.

Every rule is data (dumped, never templated) and reads the service's own metrics
(``services/metrics.py``): the availability SLO as multi-window burn-rate alerts (the Plan's
windows and factors: an error ratio over both the long and the short window above
burn rate * (1 - target), so a page stops soon after the errors do), the latency quantile
against the p95 SLO from the latency histogram, and the 503 shed ratio as a capacity signal.
Three more tell when the Plan's own assumptions no longer hold: traffic above the planned peak,
a row's scoring worker-time above the calibrated path's (``mlopsgen_scoring_seconds`` over
``mlopsgen_scored_rows_total``, against workers / per-replica rps), and a cache hit ratio below
the planned one (all tickets, after half an hour). Each quality
monitor of the spec gets a ticket when the live metric that outcome ingestion measures
(``mlopsgen_model_quality``, written by ``pipelines/outcomes.py`` for the textfile collector,
so selected by model and metric rather than by job) leaves its bound; and each trainable
model gets a ticket when its production version grows older than its schedule allows (the
training run writes ``mlopsgen_model_promoted_timestamp_seconds`` the same way), each online
feature view when its newest values are older than its declared freshness (materialisation
and the stream consumer write ``mlopsgen_feature_newest_event_timestamp_seconds``). Input
drift gets two tickets per model, on the score the drift check writes
(``mlopsgen_drift_max_score``, from ``pipelines/drift.py``, also through the textfile
collector): one past the warning band, one past the alert band. Neither pages: past the
alert band the drift check itself retrains (where the spec declares a drift trigger) and
the gates decide promotion, and users feel drift through the quality and burn-rate
alerts before anyone needs waking.
An error is a 5xx answer, a shed one included; a 4xx is the caller's and spends no budget.
Series are selected by ``job``: the scrape job named after the service (the Prometheus
Operator names it after the Kubernetes Service, which carries the same name).
Each alert carries its severity (which Alertmanager routes), the runbook section of the stack
README and the spec field its threshold came from.
"""

from __future__ import annotations

from typing import Any

from mlopsgen.plan.ir.ops import BurnRateAlert, DriftPlan, LatencyAlert, QualityPlan, ShedAlert
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.ops.language_alerts import language_alerts
from mlopsgen.targets.ops.rule import (
    ASSUMPTION_MINUTES,
    PROMOTED,
    RATE_WINDOW,
    Alert,
    promql_number,
    ratio,
    training_stale,
)

__all__ = [
    "CACHE",
    "CACHE_HIT",
    "COST_TOLERANCE",
    "DRIFT",
    "ERRORS",
    "FEATURES_NEWEST",
    "LATENCY",
    "PROMOTED",
    "QUALITY",
    "REQUESTS",
    "SCORED",
    "SCORING",
    "Alert",
    "alert_rules",
    "alerts",
    "error_ratio",
    "live_quality",
    "promql_number",
    "ratio",
]

REQUESTS = "mlopsgen_requests_total"
QUALITY = "mlopsgen_model_quality"
FEATURES_NEWEST = "mlopsgen_feature_newest_event_timestamp_seconds"
DRIFT = "mlopsgen_drift_max_score"
LATENCY = "mlopsgen_request_latency_seconds_bucket"
CACHE = "mlopsgen_cache_requests_total"
SCORING = "mlopsgen_scoring_seconds_sum"
SCORED = "mlopsgen_scored_rows_total"
#: Outcomes that spend the availability budget: server errors and sheds (503).
ERRORS = 'outcome=~"error|shed"'
#: A cache lookup the cache answered.
CACHE_HIT = 'result="hit"'
#: Window of the cache hit ratio: long enough that a cold start after a deploy passes.
CACHE_WINDOW = "1h"
#: Window of the cost of a row: half an hour of batches, so one slow batch does not count.
COST_WINDOW = "30m"
COST_TOLERANCE = 1.25
"""How far a row's measured scoring time may exceed the calibrated path's before the
capacity plan is called wrong: a quarter, the margin a load test's own spread takes."""


def error_ratio(service: str, window: str) -> str:
    """Share of the service's answers over ``window`` that were errors or sheds."""
    return ratio(REQUESTS, service, ERRORS, window)


def _burn_rate(service: str, target: float, alert: BurnRateAlert) -> Alert:
    threshold = promql_number(alert.error_rate_threshold)
    long_ratio = error_ratio(service, alert.long_window)
    short_ratio = error_ratio(service, alert.short_window)
    return Alert(
        name=f"ErrorBudgetBurn{alert.long_window.capitalize()}",
        expr=f"({long_ratio}) > {threshold} and ({short_ratio}) > {threshold}",
        for_minutes=0,
        severity=alert.severity,
        summary=(
            f"{service} burns its {target:g} % availability budget at {alert.burn_rate:g}x "
            f"the sustainable rate: {alert.budget_consumed_percent:g} % of the month's budget "
            f"in {alert.long_window}"
        ),
        runbook="error-budget-burn",
        source="slo.availability",
        kind="errors",
    )


def _latency(service: str, alert: LatencyAlert) -> Alert:
    quantile = (
        f"histogram_quantile({promql_number(alert.quantile)}, sum by (le) "
        f'(rate({LATENCY}{{job="{service}",endpoint="predict"}}[{RATE_WINDOW}])))'
    )
    return Alert(
        name="LatencyAboveObjective",
        expr=f"{quantile} > {promql_number(alert.threshold_ms / 1000)}",
        for_minutes=alert.for_minutes,
        severity=alert.severity,
        summary=(
            f"{service}'s p{alert.quantile * 100:g} latency is above the "
            f"{alert.threshold_ms:g} ms objective"
        ),
        runbook="latency-above-objective",
        source="slo.latency_p95_ms",
        kind="latency",
    )


def _shed(service: str, alert: ShedAlert) -> Alert:
    shed = ratio(REQUESTS, service, 'outcome="shed"', RATE_WINDOW)
    return Alert(
        name="RequestsShed",
        expr=f"({shed}) > {promql_number(alert.ratio)}",
        for_minutes=alert.for_minutes,
        severity=alert.severity,
        summary=(
            f"{service} refuses more than {alert.ratio * 100:g} % of requests with 503: "
            "it is out of capacity"
        ),
        runbook="requests-shed",
        source="serving",
        kind="shed",
    )


def _traffic(service: str, peak_rps: float) -> Alert:
    rate = f'sum(rate({REQUESTS}{{job="{service}"}}[{RATE_WINDOW}]))'
    return Alert(
        name="TrafficAbovePlan",
        expr=f"{rate} > {promql_number(peak_rps)}",
        for_minutes=ASSUMPTION_MINUTES,
        severity="ticket",
        summary=(
            f"{service} receives more than the planned peak of {peak_rps:g} requests/s: its "
            "replicas, autoscaling bounds and cost were planned for less"
        ),
        runbook="traffic-above-plan",
        source="slo.throughput",
        kind="traffic",
    )


def _service_time(service: str, seconds_per_row: float) -> Alert:
    """A row's scoring worker-time above the calibration the replicas were sized by."""
    spent = f'sum(rate({SCORING}{{job="{service}"}}[{COST_WINDOW}]))'
    rows = f'sum(rate({SCORED}{{job="{service}"}}[{COST_WINDOW}]))'
    bound = seconds_per_row * COST_TOLERANCE
    return Alert(
        name="ServiceTimeAboveCalibration",
        expr=f"({spent} / {rows}) > {promql_number(bound)}",
        for_minutes=ASSUMPTION_MINUTES,
        severity="ticket",
        summary=(
            f"{service} spends more than {bound * 1000:.4g} ms of worker time per row "
            f"({COST_TOLERANCE:g} times the calibrated {seconds_per_row * 1000:.4g} ms): its "
            "replicas were sized for cheaper rows"
        ),
        runbook="service-time-above-calibration",
        source="serving.models",
        kind="cost",
    )


def _cache(service: str, hit_ratio: float) -> Alert:
    hits = ratio(CACHE, service, CACHE_HIT, CACHE_WINDOW)
    return Alert(
        name="CacheHitRatioBelowPlan",
        expr=f"({hits}) < {promql_number(hit_ratio)}",
        for_minutes=ASSUMPTION_MINUTES,
        severity="ticket",
        summary=(
            f"{service}'s prediction cache answers fewer than the planned "
            f"{hit_ratio * 100:g} % of lookups: more requests reach the models than the "
            "replicas were sized for"
        ),
        runbook="cache-hit-ratio-below-plan",
        source="serving.cache.hit_ratio",
        kind="cache",
        below=True,
    )


def live_quality(plan: Plan) -> list[tuple[int, QualityPlan]]:
    """The quality monitors the plan measures on live outcomes, with their index in the spec."""
    return [(i, m) for i, m in enumerate(plan.monitoring.quality) if m.live]


def _quality(index: int, monitor: QualityPlan, below: bool) -> Alert:
    bound = monitor.min if below else monitor.max
    assert bound is not None
    selector = f'{QUALITY}{{model="{monitor.model}",metric="{monitor.metric}"}}'
    side = "below its minimum" if below else "above its maximum"
    return Alert(
        name="ModelQualityBelowBound" if below else "ModelQualityAboveBound",
        expr=f"max({selector}) {'<' if below else '>'} {promql_number(bound)}",
        for_minutes=0,
        severity="ticket",
        summary=(
            f"{monitor.model}'s live {monitor.metric} over {monitor.window} is {side} of "
            f"{bound:g}, measured on the outcomes joined to its predictions"
        ),
        runbook="model-quality-out-of-bounds",
        source=f"monitoring.quality[{index}]",
        kind="quality",
        below=below,
        labels=(("model", monitor.model), ("metric", monitor.metric)),
    )


def _feature_stale(view: str, max_staleness_seconds: int) -> Alert:
    return Alert(
        name="FeatureStale",
        expr=f'time() - max({FEATURES_NEWEST}{{view="{view}"}}) > {max_staleness_seconds}',
        for_minutes=0,
        severity="ticket",
        summary=(
            f"the online store's {view} values are older than the {max_staleness_seconds} s "
            "its feature view allows: the service scores with stale features"
        ),
        runbook="feature-stale",
        source="features.views",
        kind="age",
        labels=(("view", view),),
    )


def _drift(drift: DriftPlan, band: str) -> Alert:
    """A ticket per model whose drift score is past the ``warn`` or ``alert`` band."""
    bound = drift.warn if band == "warn" else drift.alert
    selector = f'{DRIFT}{{method="{drift.method}"}}'
    consequence = (
        "the drift check retrains it where the spec declares a drift trigger; check that "
        "run's gates"
        if band == "alert"
        else "check which inputs moved before the alert band is reached"
    )
    return Alert(
        name="DriftAboveAlert" if band == "alert" else "DriftAboveWarn",
        expr=f"max by (model) ({selector}) > {promql_number(bound)}",
        for_minutes=0,
        severity="ticket",
        summary=(
            f"a model's inputs over the last {drift.window} drifted past the {band} band "
            f"({drift.method} above {bound:g}): {consequence}"
        ),
        runbook="input-drift",
        source=f"monitoring.drift.{band}",
        kind="drift",
    )


def alerts(plan: Plan) -> list[Alert]:
    """The stack's alerts, in a fixed order: burn rates (fastest first), latency, sheds, the
    planning assumptions (peak traffic, cache hit ratio), the quality monitors, each
    model's training freshness, each view's feature freshness, then drift."""
    if plan.language_models:
        return language_alerts(plan)
    if not plan.serving.realtime:
        return []
    service = str(plan.serving.service_name)
    availability = plan.availability
    found = [
        _burn_rate(service, availability.target_percent, alert)
        for alert in availability.burn_rate_alerts
    ]
    monitoring = plan.monitoring
    if monitoring.latency_alert is not None:
        found.append(_latency(service, monitoring.latency_alert))
    if monitoring.shed_alert is not None:
        found.append(_shed(service, monitoring.shed_alert))
    capacity = plan.serving.capacity
    if capacity is not None:
        found.append(_traffic(service, capacity.peak_rps))
        if capacity.per_replica_rps > 0:
            seconds = plan.serving.replica.workers / capacity.per_replica_rps
            found.append(_service_time(service, seconds))
    cache = plan.serving.cache
    if cache is not None and cache.enabled and cache.hit_ratio > 0:
        found.append(_cache(service, cache.hit_ratio))
    for index, monitor in live_quality(plan):
        if monitor.max is not None:
            found.append(_quality(index, monitor, below=False))
        if monitor.min is not None:
            found.append(_quality(index, monitor, below=True))
    found += [training_stale(item) for item in plan.monitoring.training_freshness]
    found += [
        _feature_stale(view.name, view.max_staleness_seconds)
        for view in plan.features.views
        # a stream view of a source with no stated freshness has no bound (0) to hold it to
        if view.max_staleness_seconds and view.online
    ]
    found += [_drift(monitoring.drift, "warn"), _drift(monitoring.drift, "alert")]
    return found


def alert_rules(plan: Plan) -> dict[str, Any]:
    """``monitoring/prometheus/alerts.yml``: one group of the service's SLO alerts."""
    service = str(plan.serving.service_name)
    return {
        "groups": [
            {"name": f"{service}-slo", "rules": [alert.rule(service) for alert in alerts(plan)]}
        ]
    }
