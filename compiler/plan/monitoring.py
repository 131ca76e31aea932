# Formulas and reasons are written in mathematical notation (×, −, ε, √) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Monitoring: drift and quality settings, alert routing, and the alerts the SLO implies.

The latency alert fires when the p95 stays above the SLO for five minutes (long enough to
ignore a single slow scrape, short against a 30-day budget). Load shedding (HTTP 503 from the
batching dispatcher or the concurrency limit) means the fleet is out of capacity: it raises a
ticket at 0.1 % of requests over ten minutes, before it becomes an availability page. Source
freshness is alerted at the spec's own freshness bound.

Drift is scored per window on a sample of the requests' inputs that the service logs. Two
samples of ``n`` rows of one distribution do not score zero; what they score on average, for
``B`` bins and a band ``w`` scaled to a tenth (``ε = 0.1 w``), sets the rows a window needs:

* PSI approaches a chi-square divergence: ``E ≈ 2 (B − 1) / n``, so ``n = 2 (B − 1) / ε``;
* the Jensen-Shannon distance (natural log) is the root of a divergence averaging
  ``(B − 1) / 4n``, so ``n = (B − 1) / (4 ε²)``;
* the two-sample KS statistic scales as the Kolmogorov distribution's mean ``0.8687`` times
  ``√(2 / n)``, so ``n = 2 (0.8687 / ε)²``;
* the Wasserstein distance in standard deviations averages about ``1.02 / √n`` between two
  normal samples, so ``n = (1.02 / ε)²``.

The service then logs the inputs of the share of requests that brings those rows per window
at the planned average rate.
"""

from __future__ import annotations

import math

from mlopsgen.plan.ir.data import TrainingPlan
from mlopsgen.plan.ir.ops import (
    AlertRoute,
    DriftPlan,
    LatencyAlert,
    MonitoringPlan,
    QualityPlan,
    ShedAlert,
    TrainingFreshness,
)
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

LATENCY_FOR_MINUTES = 5
SHED_RATIO = 0.001
SHED_FOR_MINUTES = 10
#: The metrics outcome ingestion measures live, by the task of the monitored model: rates of
#: a binary decision, the share of right labels, and the errors of a scalar regression. A
#: monitor per slice (``by``) or of a metric that needs more than one answer and its label (a
#: ranking's NDCG, a forecast horizon's MAPE) is measured at evaluation only.
LIVE_QUALITY = {
    "binary_classification": frozenset(
        {"false_positive_rate", "false_negative_rate", "precision", "recall", "accuracy"}
    ),
    "multiclass_classification": frozenset({"accuracy"}),
    "image_classification": frozenset({"accuracy"}),
    "sentiment_analysis": frozenset({"accuracy"}),
    "language_identification": frozenset({"accuracy"}),
    "regression": frozenset({"mape", "mae"}),
}
HOURS_PER_MONTH = 720
#: Quantile bins of a numeric input's PSI (categories are their own bins).
DRIFT_BINS = 10
#: The share of the warning band that sampling noise may take.
DRIFT_NOISE_SHARE = 0.1
#: Mean of the Kolmogorov distribution: a two-sample KS statistic times √(n / 2) tends to it.
KS_MEAN = 0.8687
#: Mean Wasserstein-1 distance, in standard deviations, between two normal samples, times √n.
WASSERSTEIN_MEAN = 1.02


def plan_monitoring(
    spec: Spec, rec: Recorder, realtime: bool, average_rps: float, training: TrainingPlan
) -> MonitoringPlan:
    """Drift, quality checks, routes by severity and the SLO-derived alerts."""
    mon = spec.monitoring
    drift = _drift(spec, rec, average_rps)
    tasks = {model.name: model.task for model in spec.models}
    quality = tuple(
        QualityPlan(
            model=q.model,
            metric=q.metric,
            min=q.min,
            max=q.max,
            by=q.by,
            window=q.window,
            window_seconds=duration_seconds(q.window),
            live=q.by is None and q.metric in LIVE_QUALITY.get(tasks.get(q.model, ""), ()),
        )
        for q in mon.quality
    )
    routes = _routes(spec, rec)
    latency = _latency_alert(spec, rec) if realtime else None
    shed = ShedAlert(ratio=SHED_RATIO, for_minutes=SHED_FOR_MINUTES, severity="ticket")
    return MonitoringPlan(
        drift=drift,
        quality=quality,
        routes=routes,
        latency_alert=latency,
        shed_alert=shed if realtime else None,
        freshness_alert_minutes=spec.data.validation.freshness_max_minutes,
        dashboards=mon.dashboards,
        training_freshness=_training_freshness(rec, training),
    )


def _training_freshness(rec: Recorder, training: TrainingPlan) -> tuple[TrainingFreshness, ...]:
    """How old each trainable model's production version may get: two runs' interval (one
    missed run is not yet a problem) plus the run's own window, at least an hour."""
    found = []
    for model in training.models:
        if not model.trainable or model.runs_per_month <= 0:
            continue
        interval = HOURS_PER_MONTH / model.runs_per_month
        hours = clean(max(1.0, 2 * interval + model.window_minutes / 60))
        rec.add(
            f"monitoring.training_freshness.{model.name}",
            hours,
            unit="h",
            formula="max(1, 2 × 720 h / runs per month + training window)",
            computed=f"max(1, 2 × 720 / {fmt(model.runs_per_month)} + "
            f"{fmt(model.window_minutes)} / 60) = {fmt(hours)} h",
            inputs={
                "runs_per_month": model.runs_per_month,
                "window_minutes": model.window_minutes,
            },
            sources=[("training",)],
            reason="a production version older than two planned intervals and a run means "
            "training stopped promoting (failing, or kept out by the gates every time)",
        )
        found.append(TrainingFreshness(model=model.name, max_age_hours=hours))
    return tuple(found)


def _drift(spec: Spec, rec: Recorder, average_rps: float) -> DriftPlan:
    """The drift settings, with the rows a window needs and the share of requests logged."""
    drift = spec.monitoring.drift
    window_seconds = duration_seconds(drift.window)
    noise = DRIFT_NOISE_SHARE * drift.warn
    formula, computed, rows = _drift_rows(drift.method, noise)
    rec.add(
        "monitoring.drift.sample_rows",
        rows,
        unit="rows",
        formula=formula,
        computed=computed,
        inputs={"bins": DRIFT_BINS, "method": drift.method, "warn": drift.warn},
        sources=[("monitoring", "drift", "warn"), ("monitoring", "drift", "method")],
        reason=f"two samples of one distribution score {drift.method} above zero by chance: "
        "with n rows per window that noise is a tenth of the warning band",
    )
    per_window = average_rps * window_seconds
    fraction = 1.0 if per_window <= rows else float(f"{rows / per_window:.4g}")
    rec.add(
        "monitoring.drift.sample_fraction",
        fraction,
        formula="min(1, n / (average rps × window))",
        computed=f"min(1, {rows} / ({fmt(average_rps)} rps × {window_seconds} s)) = "
        f"{fmt(fraction)}",
        inputs={"average_rps": average_rps, "rows": rows, "window_seconds": window_seconds},
        sources=[("monitoring", "drift", "window"), ("slo", "throughput")],
        reason="the share of requests whose inputs the service logs for the drift pipeline; "
        "a window quieter than the average holds fewer rows, and the pipeline says so",
    )
    return DriftPlan(
        method=drift.method,
        warn=drift.warn,
        alert=drift.alert,
        window=drift.window,
        window_seconds=window_seconds,
        bins=DRIFT_BINS,
        sample_rows=rows,
        sample_fraction=fraction,
    )


def _drift_rows(method: str, noise: float) -> tuple[str, str, int]:
    """Formula, computation and rows per window for ``method`` (see the module docstring)."""
    b = DRIFT_BINS
    if method == "psi":
        rows = math.ceil(2 * (b - 1) / noise)
        return "n = 2 (B − 1) / ε, ε = 0.1 × warn", f"2 × {b - 1} / {fmt(noise)} = {rows}", rows
    if method == "jensen_shannon":
        rows = math.ceil((b - 1) / (4 * noise**2))
        computed = f"{b - 1} / (4 × {fmt(noise)}²) = {rows}"
        return "n = (B − 1) / (4 ε²), ε = 0.1 × warn", computed, rows
    constant = KS_MEAN * math.sqrt(2) if method == "ks" else WASSERSTEIN_MEAN
    rows = math.ceil((constant / noise) ** 2)
    return "n = (c / ε)², ε = 0.1 × warn", f"({fmt(constant)} / {fmt(noise)})² = {rows}", rows


def _routes(spec: Spec, rec: Recorder) -> tuple[AlertRoute, ...]:
    """Alert channels by severity, sorted; W507 when nothing receives pages."""
    alerts = spec.monitoring.alerts
    routes = sorted(
        (AlertRoute(severity=a.severity, channel=a.channel, target=a.target) for a in alerts),
        key=lambda r: (r.severity, r.channel, r.target or ""),
    )
    if alerts and not any(r.severity == "page" for r in routes):
        rec.warn(
            "W507",
            "no alert channel receives pages: burn-rate and latency pages would go nowhere",
            ("monitoring", "alerts"),
            hint="add a channel with severity: page (pagerduty, opsgenie)",
        )
    return tuple(routes)


def _latency_alert(spec: Spec, rec: Recorder) -> LatencyAlert | None:
    """Page when the p95 stays over the SLO's threshold for five minutes."""
    p95 = spec.slo.latency_p95_ms
    if p95 is None:
        return None
    rec.add(
        "monitoring.latency_alert_ms",
        p95,
        unit="ms",
        formula=f"p95 over {LATENCY_FOR_MINUTES} min > latency_p95_ms",
        computed=f"histogram_quantile(0.95) > {fmt(p95)} ms for {LATENCY_FOR_MINUTES} min",
        inputs={"latency_p95_ms": p95},
        sources=[("slo", "latency_p95_ms")],
        reason="the SLO's own threshold, held 5 minutes so one slow scrape does not page",
    )
    return LatencyAlert(
        quantile=0.95, threshold_ms=p95, for_minutes=LATENCY_FOR_MINUTES, severity="page"
    )
