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
That minimum is not the answer by itself: capacity that survives a zone loss is
N·z/(z − 1), so the fewest zones carry the most headroom. The plan prices every count from
the minimum up to what the region has and takes the cheapest expected month; a spec that
states ``zones`` keeps its count (raised to the minimum).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from mlopsgen.diagnostics import set_value
from mlopsgen.plan import cloud
from mlopsgen.plan.ir.data import OnlineStorePlan
from mlopsgen.plan.ir.ops import AvailabilityPlan, BurnRateAlert, ComponentAvailability
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.spec.availability import ZONES_NEEDED, percent, zones_needed
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

HONEST_TARGETS = (99.95, 99.9, 99.5, 99.0, 95.0, 90.0)
"""Targets a W503 hint may propose, highest first: the first the design reaches is named."""


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


def zone_candidates(spec: Spec, available: int) -> tuple[int, ...]:
    """Zone counts the plan may choose: from the target's minimum up to what the region has.

    A spec that states ``zones`` keeps it (raised to the target's minimum), so the list is
    that one count; so it is for the local profile, which has no zones to choose from.
    """
    needed = zones_for_target(spec.slo.availability)
    asked = spec.infrastructure.zones
    if asked or spec.infrastructure.cloud == "local":
        return (max(needed, asked or 0),)
    return tuple(range(needed, max(needed, available) + 1))


def composed_percent(spec: Spec, zones: int, per_zone: int, store: OnlineStorePlan | None) -> float:
    """What the serving path composes to, in percent, for one zone design."""
    return clean(series(c.availability for c in _components(spec, zones, per_zone, store)) * 100)


def plan_zones(spec: Spec, rec: Recorder, options: dict[int, tuple[int, float, float]]) -> int:
    """Decide the number of zones: the cheapest expected month among those that reach the target.

    ``options`` maps each candidate zone count to its (peak replicas, expected USD/month,
    composed availability in percent). Zone-loss headroom is N·z/(z − 1), so the fewest zones
    are often the most expensive; ties go to fewer zones (less cross-zone traffic). A design
    whose serving path composes to less than the target does not reach it, however cheap:
    the choice is among those that do, or, when none does, the one that comes closest.
    """
    target = spec.slo.availability
    needed = zones_for_target(target)
    asked = spec.infrastructure.zones or 0
    reaching = [z for z in options if options[z][2] >= target]
    if reaching:
        zones = min(reaching, key=lambda z: (round(options[z][1], 2), z))
    else:
        zones = max(options, key=lambda z: (options[z][2], -round(options[z][1], 2), -z))
    table = [
        f"{count(z, 'zones')} → {count(r, 'replicas')}, ${fmt(round(c))}/month, composes to "
        f"{fmt(a)} %"
        for z, (r, c, a) in sorted(options.items())
    ]
    if asked:
        formula = f"max(zones_for(SLO), spec zones); zones_for: {ZONES_FOR_TEXT}"
        computed = [f"max(zones_for({percent(target)}) = {needed}, {asked}) = {zones}", *table]
        reason = "zones stated in the spec are kept; " + _zone_reason(target, needed)
    else:
        formula = (
            "argmin over z in [zones_for(SLO), zones in the region] with composed availability "
            "≥ SLO of the expected monthly cost (none reaching it: the highest composed); "
            f"zones_for: {ZONES_FOR_TEXT}"
        )
        verdict = (
            f"cheapest reaching {percent(target)} → {zones}"
            if reaching
            else f"none reaches {percent(target)}: the highest composed → {zones}"
        )
        computed = [f"zones_for({percent(target)}) = {needed}", *table, verdict]
        short = sorted(z for z in options if z not in reaching)
        reason = (
            "replicas N·z/(z − 1) survive a zone loss, so more zones can cost less; a design "
            "must compose to the target to count; " + _zone_reason(target, needed)
        )
        if reaching and short:
            reason += (
                f", but the path over {count(short[0], 'zones')} composes to "
                f"{fmt(options[short[0]][2])} %, below the target"
            )
    rec.add(
        "availability.zones",
        zones,
        unit="zones",
        formula=formula,
        computed=computed,
        inputs={"slo_percent": target, "zones_for_slo": needed, "spec_zones": asked or None},
        sources=[_SLO, ("infrastructure", "zones")],
        reason=reason,
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
    store: OnlineStorePlan | None,
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
    components = _components(spec, zones, replicas_per_zone, store)
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
    spec: Spec, zones: int, per_zone: int, store: OnlineStorePlan | None
) -> tuple[ComponentAvailability, ...]:
    """The request path's parts; the online store under its own kind's published SLA.

    ``store`` is the planned online store when requests read it (None otherwise); a store
    without a managed service (SQLite next to the service, locally) adds no component.
    """
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
                f"{count(zones, 'zones')} in parallel, each {fmt(cloud.ZONE_AVAILABILITY)} × "
                f"({count(per_zone, 'pods')} of {fmt(cloud.POD_AVAILABILITY)} in parallel)"
            ),
        ),
    ]
    if store is not None and store.sla_percent is not None:
        items.append(
            ComponentAvailability(
                name="online_store",
                availability=clean(store.sla_percent / 100, 8),
                basis=store.sla_basis,
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
        formula=[names, "A_service = 1 − (1 − A_zone × (1 − (1 − A_pod)^r))^zones"],
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
    """W503: the target is at the regional SLA, or above what the serving path composes to.

    The hint proposes the highest usual target below the regional SLA that the composed path
    reaches, so following it removes the warning instead of moving it.
    """
    target = spec.slo.availability
    sla = (
        f"the {spec.infrastructure.cloud} regional SLA of {percent(regional)} %" if regional else ""
    )
    ceiling = min(composed, regional if regional is not None else 100.0)
    honest = next((t for t in HONEST_TARGETS if t < ceiling and t < target), None)
    honest_hint = (
        f"; or set slo.availability to {percent(honest)}, which this design reaches"
        if honest is not None
        else ""
    )
    if regional is not None and target < regional:
        # below the region's promise: the path itself, not the region, falls short
        message = (
            f"availability target {percent(target)} % is above what the serving path "
            f"composes to ({fmt(composed)} %)"
        )
        hint = "more zones (infrastructure.zones) raise what the path composes to"
    else:
        message = (
            f"availability target {percent(target)} % reaches "
            f"{sla or 'what one region can promise'}; the serving path composes to "
            f"{fmt(composed)} %"
        )
        hint = "a higher target needs a second region with failover"
    rec.warn(
        "W503",
        message,
        _SLO,
        hint=hint + honest_hint,
        fix=[set_value(_SLO, honest)] if honest is not None else (),
    )
