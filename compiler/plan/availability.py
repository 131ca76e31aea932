# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Zones, error budget, burn-rate alerts and the composed availability of the serving path.

Availability composes like reliability blocks: components a request passes through in turn
are in *series* (A = ∏Aᵢ), redundant copies of which one is enough are in *parallel*
(A = 1 − ∏(1 − Aᵢ)). The serving path is load balancer → service → online store in series
(the store only when requests read features from it; the prediction cache fails open to a
miss, so it is not in series); the service is zones in parallel, each zone its replicas in
parallel behind the zone itself.

Zones come from the target, not from that arithmetic alone: a 99.9 % month has a 43.2-minute
error budget, less than a typical zone incident, so one zone cannot hold it; a 99.99 % month
has 4.32 minutes, less than the time to rebalance two zones after losing one, so three zones
with enough capacity for one to fail are needed. 99.99 % is also the providers' regional
SLA: a single-region design cannot be promised beyond it, which the plan warns about.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from mlopsgen.plan import cloud
from mlopsgen.plan.ir.ops import AvailabilityPlan, BurnRateAlert, ComponentAvailability
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.availability import ZONES_NEEDED, zones_needed
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

MINUTES_PER_30_DAYS = 30 * 24 * 60

#: (severity, burn rate, long window, short window): the SRE workbook's recommended set.
BURN_RATE_WINDOWS: tuple[tuple[str, float, str, str], ...] = (
    ("page", 14.4, "1h", "5m"),
    ("page", 6.0, "6h", "30m"),
    ("ticket", 1.0, "3d", "6h"),
)

_SLO = ("slo", "availability")


def zones_for_target(target_percent: float) -> int:
    """Fewest zones that can hold an availability target through a zone incident."""
    return zones_needed(target_percent)


#: zones_for in words, from the same table: "<99.9 → 1, <99.99 → 2, else 3"
ZONES_FOR_TEXT = ", ".join(
    [
        *(f"<{floor:g} → {zones - 1}" for floor, zones in reversed(ZONES_NEEDED)),
        f"else {ZONES_NEEDED[0][1]}",
    ]
)


def error_budget_minutes(target_percent: float) -> float:
    """Minutes of failure allowed per 30 days: (1 − SLO) × 43,200."""
    return clean((1 - target_percent / 100) * MINUTES_PER_30_DAYS)


def series(values: Iterable[float]) -> float:
    """Availability of components in series: all must work."""
    return math.prod(values)


def parallel(values: Iterable[float]) -> float:
    """Availability of redundant components: one working is enough."""
    return 1 - math.prod(1 - a for a in values)


def burn_rate_alerts(target_percent: float) -> tuple[BurnRateAlert, ...]:
    """The three multi-window burn-rate alerts with their error-rate thresholds."""
    budget = 1 - target_percent / 100
    alerts = []
    for severity, burn, long_window, short_window in BURN_RATE_WINDOWS:
        hours = duration_seconds(long_window) / 3600
        alerts.append(
            BurnRateAlert(
                severity=severity,
                burn_rate=burn,
                long_window=long_window,
                short_window=short_window,
                budget_consumed_percent=clean(burn * hours / (30 * 24) * 100),
                error_rate_threshold=clean(burn * budget),
            )
        )
    return tuple(alerts)


def plan_zones(spec: Spec, rec: Recorder) -> int:
    """Decide the number of zones: the target's minimum, raised to the spec's ``zones``."""
    target = spec.slo.availability
    needed = zones_for_target(target)
    asked = spec.infrastructure.zones or 0
    zones = max(needed, asked)
    rec.add(
        "availability.zones",
        zones,
        unit="zones",
        formula=f"max(zones_for(SLO), spec zones); zones_for: {ZONES_FOR_TEXT}",
        computed=f"max(zones_for({fmt(target)}) = {needed}, {asked}) = {zones}",
        inputs={"slo_percent": target, "zones_for_slo": needed, "spec_zones": asked or None},
        sources=[_SLO, ("infrastructure", "zones")],
        reason=_zone_reason(target, needed),
    )
    return zones


def _zone_reason(target: float, needed: int) -> str:
    budget = fmt(error_budget_minutes(target))
    if needed == 3:
        return (
            f"a {budget}-min budget cannot absorb a zone loss with 2 zones: 3, sized for 1 to fail"
        )
    if needed == 2:
        return f"a {budget}-min budget is shorter than a zone incident: a second zone is needed"
    return f"a {budget}-min budget tolerates a zone incident: one zone is enough"


def plan_availability(
    spec: Spec,
    rec: Recorder,
    zones: int,
    replicas_per_zone: int,
    store_on_path: bool,
) -> AvailabilityPlan:
    """Error budget, burn-rate alerts and the composed availability of the serving path."""
    target = spec.slo.availability
    budget = error_budget_minutes(target)
    rec.add(
        "availability.error_budget_minutes",
        budget,
        unit="min/30d",
        formula="(1 − SLO) × 30 d × 1440 min/d",
        computed=f"(1 − {fmt(target / 100, 6)}) × 43200 = {fmt(budget)}",
        inputs={"slo_percent": target},
        sources=[_SLO],
        reason="the minutes of failure a 30-day window may spend; burn-rate alerts watch it",
    )
    alerts = burn_rate_alerts(target)
    _record_burn_rates(rec, target, alerts)
    components = _components(spec, zones, replicas_per_zone, store_on_path)
    composed = series(c.availability for c in components)
    composed_percent = clean(composed * 100)
    _record_composed(rec, components, composed_percent, zones, replicas_per_zone)
    regional = None if spec.infrastructure.cloud == "local" else _regional(spec)
    at_sla = regional is not None and target >= regional
    if at_sla or composed_percent < target:
        _warn_ceiling(spec, rec, regional, composed_percent)
    return AvailabilityPlan(
        target_percent=target,
        zones=zones,
        zones_for_target=zones_for_target(target),
        zone_loss_tolerated=zones >= 2,
        error_budget_minutes=budget,
        burn_rate_alerts=alerts,
        components=components,
        composed_percent=composed_percent,
        meets_target=composed_percent >= target,
        regional_sla_percent=regional,
        at_regional_sla=at_sla,
    )


def _record_burn_rates(rec: Recorder, target: float, alerts: tuple[BurnRateAlert, ...]) -> None:
    for alert in alerts:
        rec.add(
            f"availability.burn_rate.{alert.severity}_{alert.long_window}",
            alert.error_rate_threshold,
            unit="error ratio",
            formula="burn_rate × (1 − SLO), over the long and the short window",
            computed=(
                f"{fmt(alert.burn_rate)} × {fmt(1 - target / 100, 6)} = "
                f"{fmt(alert.error_rate_threshold)} over {alert.long_window} and "
                f"{alert.short_window}"
            ),
            inputs={"burn_rate": alert.burn_rate, "slo_percent": target},
            sources=[_SLO],
            reason=(
                f"{alert.severity} when {fmt(alert.budget_consumed_percent)} % of the budget "
                f"burns in {alert.long_window}; the {alert.short_window} window ends it fast"
            ),
        )


def _regional(spec: Spec) -> float:
    return cloud.REGIONAL_SLA_PERCENT[spec.infrastructure.cloud]


def _components(
    spec: Spec, zones: int, per_zone: int, store_on_path: bool
) -> tuple[ComponentAvailability, ...]:
    provider = spec.infrastructure.cloud
    zone = cloud.ZONE_AVAILABILITY * parallel([cloud.POD_AVAILABILITY] * per_zone)
    service = parallel([zone] * zones)
    items = [
        ComponentAvailability(
            name="load_balancer",
            availability=clean(cloud.LOAD_BALANCER_SLA_PERCENT[provider] / 100, 8),
            basis=f"{provider} published SLA",
        ),
        ComponentAvailability(
            name="service",
            availability=clean(service, 12),
            basis=(
                f"{zones} zones in parallel, each {fmt(cloud.ZONE_AVAILABILITY)} × "
                f"({per_zone} pods of {fmt(cloud.POD_AVAILABILITY)} in parallel)"
            ),
        ),
    ]
    if store_on_path:
        items.append(
            ComponentAvailability(
                name="online_store",
                availability=clean(cloud.ONLINE_STORE_SLA_PERCENT[provider] / 100, 8),
                basis=f"{cloud.ONLINE_STORE_SERVICE[provider]} published SLA",
            )
        )
    return tuple(items)


def _record_composed(
    rec: Recorder,
    components: tuple[ComponentAvailability, ...],
    composed_percent: float,
    zones: int,
    per_zone: int,
) -> None:
    names = " × ".join(f"A_{c.name}" for c in components)
    numbers = " × ".join(fmt(c.availability, 8) for c in components)
    rec.add(
        "availability.composed_percent",
        composed_percent,
        unit="%",
        formula=f"{names}; A_service = 1 − (1 − A_zone × (1 − (1 − A_pod)^r))^zones",
        computed=f"{numbers} = {fmt(composed_percent / 100, 6)}",
        inputs={
            "zones": zones,
            "pods_per_zone": per_zone,
            "zone_availability": cloud.ZONE_AVAILABILITY,
            "pod_availability": cloud.POD_AVAILABILITY,
        },
        sources=[_SLO, ("infrastructure", "cloud")],
        reason="the path is in series, so it is never better than its weakest managed part",
    )


def _warn_ceiling(spec: Spec, rec: Recorder, regional: float | None, composed: float) -> None:
    target = spec.slo.availability
    sla = f"the {spec.infrastructure.cloud} regional SLA of {fmt(regional)} %" if regional else ""
    rec.warn(
        "W503",
        f"availability target {fmt(target)} % reaches {sla or 'what one region can promise'}; "
        f"the serving path composes to {fmt(composed)} %",
        _SLO,
        hint="a higher target needs a second region with failover; or state 99.95 and keep "
        "the single-region design honest",
    )
