"""Monitoring: drift and quality settings, alert routing, and the alerts the SLO implies.

The latency alert fires when the p95 stays above the SLO for five minutes (long enough to
ignore a single slow scrape, short against a 30-day budget). Load shedding (HTTP 503 from the
batching dispatcher or the concurrency limit) means the fleet is out of capacity: it raises a
ticket at 0.1 % of requests over ten minutes, before it becomes an availability page. Source
freshness is alerted at the spec's own freshness bound.
"""

from __future__ import annotations

from mlopsgen.plan.ir.ops import (
    AlertRoute,
    DriftPlan,
    LatencyAlert,
    MonitoringPlan,
    QualityPlan,
    ShedAlert,
)
from mlopsgen.plan.record import Recorder, fmt
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

LATENCY_FOR_MINUTES = 5
SHED_RATIO = 0.001
SHED_FOR_MINUTES = 10


def plan_monitoring(spec: Spec, rec: Recorder, realtime: bool) -> MonitoringPlan:
    """Drift, quality checks, routes by severity and the SLO-derived alerts."""
    mon = spec.monitoring
    drift = DriftPlan(
        method=mon.drift.method,
        warn=mon.drift.warn,
        alert=mon.drift.alert,
        window=mon.drift.window,
        window_seconds=duration_seconds(mon.drift.window),
    )
    quality = tuple(
        QualityPlan(
            model=q.model,
            metric=q.metric,
            min=q.min,
            max=q.max,
            by=q.by,
            window=q.window,
            window_seconds=duration_seconds(q.window),
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
    )


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
