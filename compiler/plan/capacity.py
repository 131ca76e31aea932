# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Serving capacity: utilisation from the latency budget, replicas by Little's law, zones.

Each replica is modelled as an M/M/1 queue whose service time is the path's S (when the
path is batched, the model server's own stage: the dispatcher's deadline bounds the rest,
see ``latency_budget``). Its sojourn
time is exponential with mean S / (1 − ρ), so its 95th percentile is ln(20)·S / (1 − ρ);
keeping that under the p95 budget gives ρ ≤ 1 − ln(20)·S / p95. The target is capped at 0.7
because beyond it queues grow fast under bursts and the HPA has no room to react. Several
workers per replica make the real tail shorter than M/M/1's, so the rule is conservative.

Replicas follow Little's law: with λ = peak_rps and each replica serving per_replica_rps × ρ,
N = ceil(peak_rps / (per_replica_rps × ρ)). To survive the loss of a zone, the remaining
zones must carry N, so each of Z zones gets ceil(N / (Z − 1)); at 99.99 % each zone also keeps
one spare, so a pod eviction during a zone outage does not drop the service below N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import calibration
from mlopsgen.plan.ir.serving import CapacityPlan, StagePlan
from mlopsgen.plan.latency_budget import LN20, RHO_CAP, LatencyBudget, record_split
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.plan.serving_path import path_replica_rps, path_service_time_ms
from mlopsgen.spec.availability import ZONE_SPARE_PERCENT
from mlopsgen.spec.models.root import Spec

__all__ = ["LN20", "RHO_CAP", "RHO_FLOOR", "RHO_LOW"]

RHO_LOW = 0.3
RHO_FLOOR = 0.05
"""Below this the replicas would idle 95 % of the time: the SLO counts as not met (E502)."""

_P95 = ("slo", "latency_p95_ms")
_THROUGHPUT = ("slo", "throughput")


def utilisation_raw(service_time_ms: float, p95_ms: float) -> float:
    """1 − ln(20)·S / p95: the utilisation at which an M/M/1 queue's p95 equals the budget."""
    return 1 - LN20 * service_time_ms / p95_ms


def target_utilisation(service_time_ms: float, p95_ms: float) -> float:
    """ρ = min(0.7, 1 − ln(20)·S / p95), floored so an impossible SLO stays computable."""
    return max(min(RHO_CAP, utilisation_raw(service_time_ms, p95_ms)), RHO_FLOOR)


def replicas_needed(peak_rps: float, per_replica_rps: float, rho: float) -> int:
    """Little's law: ceil(peak_rps / (per_replica_rps × ρ)), at least one replica."""
    return max(1, math.ceil(round(peak_rps / (per_replica_rps * rho), 9)))


def replicas_per_zone(needed: int, zones: int, spare: int) -> int:
    """Replicas in each zone so that the other zones carry ``needed`` when one is lost."""
    base = math.ceil(needed / (zones - 1)) if zones > 1 else needed
    return base + spare


def output_tokens_p50(spec: Spec) -> int | None:
    """The median output tokens of the served text-generation model, if there is one."""
    served = set(spec.serving.models)
    for model in spec.models:
        if model.name in served and model.llm is not None and model.llm.output_tokens:
            return model.llm.output_tokens.p50
    return None


def throughput(spec: Spec) -> tuple[float, float]:
    """Peak and average requests per second from the spec's throughput block.

    A rate in output tokens per second is turned into requests by the served
    text-generation model's median output tokens.
    """
    load = spec.slo.throughput
    daily_average = load.requests_per_day / 86400 if load.requests_per_day else None
    tokens = load.peak_output_tokens_per_second
    per_request = output_tokens_p50(spec)
    if tokens is not None and per_request:
        peak = tokens / per_request
    else:
        peak = load.peak_rps if load.peak_rps else (daily_average or 0) * load.peak_to_average
    average = daily_average if daily_average is not None else peak / load.peak_to_average
    return peak, average


def record_load(spec: Spec, rec: Recorder, peak: float, average: float) -> None:
    """Record the peak and average request rates the capacity is planned for."""
    load = spec.slo.throughput
    tokens = load.peak_output_tokens_per_second
    if tokens is not None:
        peak_formula = "peak_output_tokens_per_second / output tokens p50"
        peak_how = f"{fmt(tokens)} / {output_tokens_p50(spec)}"
    elif load.peak_rps:
        peak_how, peak_formula = f"{fmt(peak)} (stated)", "peak_rps"
    else:
        peak_formula = "requests_per_day / 86400 × peak_to_average"
        peak_how = f"{fmt(load.requests_per_day)} / 86400 × {fmt(load.peak_to_average)}"
    rec.add(
        "serving.peak_rps",
        clean(peak),
        unit="rps",
        formula=peak_formula,
        computed=f"{peak_how} = {fmt(peak)}",
        inputs={"peak_rps": load.peak_rps, "requests_per_day": load.requests_per_day},
        sources=[_THROUGHPUT],
        reason="capacity is planned for the peak; the HPA follows the daily curve below it",
    )
    rec.add(
        "serving.average_rps",
        clean(average),
        unit="rps",
        formula="requests_per_day / 86400" if load.requests_per_day else "peak / peak_to_average",
        computed=(
            f"{fmt(load.requests_per_day)} / 86400 = {fmt(average)}"
            if load.requests_per_day
            else f"{fmt(peak)} / {fmt(load.peak_to_average)} = {fmt(average)}"
        ),
        inputs={"requests_per_day": load.requests_per_day, "peak_to_average": load.peak_to_average},
        sources=[_THROUGHPUT],
        reason="sets the HPA floor and the cost estimate (the month is billed at the average)",
    )


def _record_path(
    rec: Recorder, stages: tuple[StagePlan, ...], hit: float, service: float, rps: float
) -> None:
    alternatives = sorted({s.alternative_of for s in stages if s.alternative_of})
    rec.add(
        "serving.service_time_ms",
        clean(service),
        unit="ms",
        formula="S = Σ service time of the stages of a cache miss (the slowest of an "
        "experiment's alternative models)",
        computed=" + ".join(fmt(s.service_time_ms) for s in stages if not s.alternative_of)
        + "".join(
            " + max("
            + ", ".join(fmt(s.service_time_ms) for s in stages if s.alternative_of == group)
            + ")"
            for group in alternatives
        )
        + f" = {fmt(service)}",
        inputs={s.name: s.service_time_ms for s in stages},
        sources=[("serving", "models"), ("models",), ("serving", "cache")],
        reason="a miss pays every stage in turn, and the p95 is made of misses",
    )
    terms = " + ".join(
        f"{fmt(clean((1 - hit if s.applies_to == 'misses' else 1) * s.share))}"
        f"/{fmt(s.per_replica_rps)}"
        for s in stages
    )
    rec.add(
        "serving.per_replica_rps",
        clean(rps),
        unit="rps/replica",
        formula="1 / Σ(share_i / rps_i); share = (1 − hit_ratio for stages only misses take) "
        "× the share of requests an experiment routes to a model",
        computed=f"1 / ({terms}) = {fmt(rps)}",
        inputs={"cache_hit_ratio": hit, **{s.name: s.per_replica_rps for s in stages}},
        sources=[("serving", "models"), ("models",), ("serving", "cache", "hit_ratio")],
        reason="stages share the replica's cores, so replica time per request adds up; "
        "the generated load test checks this figure",
    )


def slo_utilisation(service_ms: float, budget_ms: float | None) -> tuple[float, float, bool]:
    """(raw ρ, planned ρ, whether the SLO is met) for S against the budget p95 − W.

    When the budget cannot be met (raw ρ under the 0.05 floor) replicas are sized for
    throughput at the 0.7 cap: no replica count fixes the latency, and a fleet sized at the
    floor would only add a cost warning to the error that names the real fix.
    """
    if budget_ms is None:
        return RHO_CAP, RHO_CAP, True
    raw = utilisation_raw(service_ms, max(budget_ms, 1e-3))
    if raw < RHO_FLOOR:
        return raw, RHO_CAP, False
    return raw, target_utilisation(service_ms, budget_ms), True


def _record_model_rps(
    rec: Recorder, stages: tuple[StagePlan, ...], hit: float, peak: float
) -> None:
    """Peak requests per second reaching each model on the path."""
    for stage in stages:
        if stage.kind != "model":
            continue
        name = stage.name.removeprefix("model:")
        miss = 1 - hit if stage.applies_to == "misses" else 1.0
        value = clean(peak * miss * stage.share)
        why = (
            f"experiment {stage.alternative_of}: only its arms (and, for the control, requests "
            "outside it) call this model"
            if stage.alternative_of
            else "every request that reaches the models calls it (ensemble members, routing "
            "targets once per request through one partition)"
        )
        rec.add(
            f"serving.models.{name}.peak_rps",
            value,
            unit="rps",
            formula="peak_rps × (1 − hit_ratio) × share of requests routed to the model",
            computed=f"{fmt(peak)} × {fmt(miss)} × {fmt(stage.share)} = {fmt(value)}",
            inputs={"peak_rps": clean(peak), "cache_hit_ratio": hit, "share": stage.share},
            sources=[("serving", "models"), ("serving", "experiments"), ("slo", "throughput")],
            reason=why,
        )


def plan_capacity(
    spec: Spec,
    rec: Recorder,
    stages: tuple[StagePlan, ...],
    zones: int,
    hit: float,
    budget: LatencyBudget,
) -> CapacityPlan:
    """Utilisation target, replicas by Little's law and their spread over zones."""
    peak, average = throughput(spec)
    record_load(spec, rec, peak, average)
    service = path_service_time_ms(stages)
    rps = path_replica_rps(stages, hit)
    _record_path(rec, stages, hit, service, rps)
    _record_model_rps(rec, stages, hit, peak)
    p95 = spec.slo.latency_p95_ms
    queued = budget.queued_service_ms
    raw, rho, met = slo_utilisation(queued, budget.queue_budget_ms)
    _record_rho(rec, queued, budget, raw, rho, met)
    met = met and budget.window_fits
    queueing, latency = record_split(rec, p95, queued, rho, budget) if p95 else (0.0, 0.0)
    needed = replicas_needed(peak, rps, rho)
    in_flight = peak * service / 1000
    _record_replicas(rec, peak, rps, rho, needed, in_flight, service)
    spread = spread_over_zones(spec, rec, needed, zones, rho)
    return CapacityPlan(
        peak_rps=clean(peak),
        average_rps=clean(average),
        cache_hit_ratio=hit,
        service_time_ms=clean(service),
        per_replica_rps=clean(rps),
        utilisation_raw=clean(raw, 4),
        utilisation=clean(rho, 4),
        batching_window_ms=budget.window_ms,
        queueing_ms=queueing,
        latency_total_ms=latency,
        latency_slo_met=met,
        in_flight=clean(in_flight),
        replicas_needed=needed,
        zones=zones,
        spare_per_zone=spread.spare,
        replicas_per_zone=spread.per_zone,
        replicas=spread.total,
        scaling_utilisation=spread.scaling,
    )


@dataclass(frozen=True)
class Spread:
    """Replicas over the zones: the spare each keeps, per zone, in all, and the HPA's target."""

    spare: int
    per_zone: int
    total: int
    scaling: float


def spread_over_zones(spec: Spec, rec: Recorder, needed: int, zones: int, rho: float) -> Spread:
    """Spread ``needed`` replicas, planned at utilisation ``rho``, so that losing a zone keeps
    them (a spare per zone at 99.99 %), and record the spread; any replica kind uses it."""
    spare = 1 if spec.slo.availability >= ZONE_SPARE_PERCENT and zones >= 3 else 0
    per_zone = replicas_per_zone(needed, zones, spare)
    total = per_zone * zones
    scaling = clean(rho * needed / total, 4)
    _record_spread(spec, rec, needed, zones, spare, per_zone, total, rho, scaling)
    return Spread(spare=spare, per_zone=per_zone, total=total, scaling=scaling)


def _record_rho(
    rec: Recorder, service: float, budget: LatencyBudget, raw: float, rho: float, met: bool
) -> None:
    left = budget.queue_budget_ms
    if left is None:
        computed, reason = f"= {fmt(rho)}", f"no latency SLO: utilisation at the {RHO_CAP} cap"
    else:
        computed = f"min({RHO_CAP}, 1 − {fmt(LN20)} × {fmt(service)} / {fmt(left)}) = {fmt(rho)}"
        reason = "M/M/1: p95 ≈ ln(20)·S/(1 − ρ) must fit the p95 less the batching window; "
        reason += (
            f"{RHO_CAP} caps burst queues"
            if raw >= RHO_CAP
            else f"the budget binds below {RHO_CAP}"
        )
        if not met:
            computed = (
                f"1 − {fmt(LN20)} × {fmt(service)} / {fmt(left)} = {fmt(raw)} < {RHO_FLOOR} "
                f"→ {RHO_CAP}"
            )
            reason = "the SLO cannot be met at any utilisation (see the error): replicas are "
            reason += f"sized for throughput at the {RHO_CAP} cap"
    rec.add(
        "serving.utilisation",
        clean(rho, 4),
        unit="ρ",
        formula=f"ρ = min({RHO_CAP}, 1 − ln(20) × S / (p95 − batching window)); S of what "
        "queues: the model server's stage when the rest is batched, else the whole path",
        computed=computed,
        inputs={
            "service_time_ms": clean(service),
            "latency_budget_ms": left,
            "batching_window_ms": budget.window_ms,
        },
        sources=[_P95, ("serving", "batching")],
        reason=reason,
    )


def _record_replicas(
    rec: Recorder,
    peak: float,
    rps: float,
    rho: float,
    needed: int,
    in_flight: float,
    service: float,
) -> None:
    rec.add(
        "serving.in_flight",
        clean(in_flight),
        unit="requests",
        formula="L = λ × S (Little's law)",
        computed=f"{fmt(peak)} × {fmt(service / 1000)} s = {fmt(in_flight)}",
        inputs={"peak_rps": clean(peak), "service_time_ms": clean(service)},
        sources=[_THROUGHPUT, _P95],
        reason="requests being worked on at peak across the fleet, before any queueing",
    )
    rec.add(
        "serving.replicas_needed",
        needed,
        unit="replicas",
        formula="N = ceil(peak_rps / (per_replica_rps × ρ))",
        computed=f"ceil({fmt(peak)} / ({fmt(rps)} × {fmt(rho)})) = {needed}",
        inputs={"peak_rps": clean(peak), "per_replica_rps": clean(rps), "rho": clean(rho, 4)},
        sources=[_THROUGHPUT, _P95],
        reason="Little's law: enough replicas that each runs at the target utilisation at peak",
    )


def _record_spread(
    spec: Spec,
    rec: Recorder,
    needed: int,
    zones: int,
    spare: int,
    per_zone: int,
    total: int,
    rho: float,
    scaling: float,
) -> None:
    spread = f"ceil({needed} / ({zones} − 1))" if zones > 1 else f"{needed}"
    rec.add(
        "serving.replicas_per_zone",
        per_zone,
        unit="replicas",
        formula=f"ceil(N / (zones − 1)) + spare (spare = 1 at ≥ {ZONE_SPARE_PERCENT:g} %)",
        computed=f"{spread} + {spare} = {per_zone}",
        inputs={"replicas_needed": needed, "zones": zones, "spare": spare},
        sources=[("slo", "availability"), ("infrastructure", "zones")],
        reason=(
            "the other zones carry the full peak when one zone is lost"
            + ("; one spare per zone covers a pod eviction during that loss" if spare else "")
            if zones > 1
            else "a single zone: no zone loss to survive"
        ),
    )
    factor = total / needed
    rec.add(
        "serving.replicas",
        total,
        unit="replicas",
        formula="replicas_per_zone × zones",
        computed=f"{per_zone} × {zones} = {total} (×{fmt(factor)} of N = {needed})",
        inputs={"replicas_per_zone": per_zone, "zones": zones},
        sources=[_THROUGHPUT, _P95, ("slo", "availability")],
        reason="peak capacity with zone-loss headroom; the HPA maximum starts from it",
    )
    rec.add(
        "serving.scaling_utilisation",
        scaling,
        unit="ρ",
        formula="ρ × N / replicas",
        computed=f"{fmt(rho)} × {needed} / {total} = {fmt(scaling)}",
        inputs={"rho": clean(rho, 4), "replicas_needed": needed, "replicas": total},
        sources=[_P95, ("slo", "availability")],
        reason="the HPA must hold the zone headroom, so it targets this lower utilisation; "
        "after a zone loss the survivors run at ρ",
    )


def fastest_service_time_ms(framework: str, task: str) -> float:
    """Best-case S of a model: smallest size, fastest GPU and int8 where PyTorch allows."""
    kind = calibration.workload(task)
    gpu = calibration.GPU_TABLE.get((framework, kind))
    if gpu is not None:
        _, latency = calibration.GPU_CLASSES["h100"]
        _, quant_latency, _ = calibration.QUANTIZATION[("gpu", "int8")]
        return gpu["small"].service_time_ms / latency / quant_latency
    rows = [r for (f, _), r in calibration.CPU_TABLE.items() if f == framework]
    return min(r["small"].service_time_ms for r in rows)
