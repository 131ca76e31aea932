# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""HPA bounds and behaviour, the PodDisruptionBudget, and what one replica requests.

The HPA targets the *scaling* utilisation (ρ × N / replicas), not ρ: at the planned peak the
fleet must still hold the zone headroom, and only after a zone is lost may survivors run at
ρ. The floor is the average load's fleet, spread over the zones like the peak's (so the
morning ramp never waits for nodes); GPU services never scale to zero, because a cold GPU
node plus a model load takes minutes that no latency SLO survives. The ``behavior`` block
scales up at once and down slowly, at most 10 % a minute after five quiet minutes (ten for
GPUs).
"""

from __future__ import annotations

import math

from mlopsgen.plan import calibration
from mlopsgen.plan.capacity import LN20, replicas_needed, replicas_per_zone
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import (
    CapacityPlan,
    HpaBehavior,
    HpaPlan,
    PdbPlan,
    ReplicaPlan,
    ScalingPolicy,
    ScalingRules,
)
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.plan.serving_path import ReplicaShape
from mlopsgen.spec.models.root import Spec

HPA_BURST = 1.25
"""HPA maximum over the planned peak: room for an unplanned surge before a hard cap."""
TIMEOUT_P95_MULTIPLE = 4
"""Timeout = 4 × p95: under M/M/1, P(T > k·p95) = 20^−k, so 4 × p95 cuts 1 in 160,000."""
DEFAULT_TIMEOUT_MS = 30000.0

_AVAIL = ("slo", "availability")
_BASE_MB = calibration.REPLICA_BASE_MEMORY_MB
_HEADROOM = f"{calibration.MEMORY_HEADROOM:g}"


def behavior(zones: int, gpu: bool) -> HpaBehavior:
    """Scale up immediately (double, or 2 pods per zone, every 15 s); scale down slowly."""
    up = ScalingRules(
        stabilization_window_seconds=0,
        select_policy="Max",
        policies=(
            ScalingPolicy(type="Percent", value=100, period_seconds=15),
            ScalingPolicy(type="Pods", value=2 * zones, period_seconds=15),
        ),
    )
    down = ScalingRules(
        stabilization_window_seconds=600 if gpu else 300,
        select_policy="Min",
        policies=(ScalingPolicy(type="Percent", value=10, period_seconds=60),),
    )
    return HpaBehavior(scale_up=up, scale_down=down)


def plan_hpa(
    spec: Spec,
    rec: Recorder,
    cap: CapacityPlan,
    shape: ReplicaShape,
    engine_sequences: int | None = None,
) -> tuple[HpaPlan, PdbPlan]:
    """HPA min/max/target and behaviour, and the PDB that follows from the minimum.

    ``engine_sequences`` is a language model's planned batch per engine (``max_num_seqs``):
    its HPA holds the running sequences per pod at the same scaling utilisation instead.
    """
    gpu = shape.device == "gpu"
    minimum, maximum = _bounds(spec, rec, cap, gpu)
    target = max(10, math.floor(cap.scaling_utilisation * 100))
    rec.add(
        "serving.hpa.target_cpu_percent",
        target,
        unit="%",
        formula="floor(100 × ρ × N / replicas)",
        computed=f"floor(100 × {fmt(cap.scaling_utilisation)}) = {target}",
        inputs={"scaling_utilisation": cap.scaling_utilisation},
        sources=[("slo", "latency_p95_ms"), _AVAIL],
        reason="replicas are CPU-bound, so CPU tracks ρ; the target keeps the zone headroom",
    )
    rules = behavior(cap.zones, gpu)
    window = rules.scale_down.stabilization_window_seconds
    rec.add(
        "serving.hpa.behavior",
        f"up at once, down after {window} s",
        formula=[
            "scaleUp: max(+100 %, +2 × zones pods) per 15 s, no stabilisation",
            "scaleDown: −10 % per 60 s after a stabilisation window",
        ],
        computed=[
            f"up: max(+100 %, +{2 * cap.zones} pods)/15 s",
            f"down: −10 %/60 s after {window} s ({'GPU' if gpu else 'CPU'})",
        ],
        inputs={"zones": cap.zones, "gpu": gpu},
        sources=[_AVAIL],
        reason="react to surges within one scrape; shed capacity slowly so short dips do "
        "not cause flapping and model reloads",
    )
    running = None
    if engine_sequences is not None:
        running = max(1, math.floor(cap.scaling_utilisation * engine_sequences))
        rec.add(
            "serving.hpa.target_running_sequences",
            running,
            unit="sequences/pod",
            formula="max(1, floor(ρ × N / replicas × max_num_seqs))",
            computed=f"floor({fmt(cap.scaling_utilisation)} × {engine_sequences}) = {running}",
            inputs={
                "scaling_utilisation": cap.scaling_utilisation,
                "max_num_seqs": engine_sequences,
            },
            sources=[("slo", "throughput"), _AVAIL],
            reason="an engine batches sequences on its GPUs and its CPU says nothing of that "
            "load; the running sequences per pod do, at the utilisation that keeps the zone "
            "headroom",
        )
    hpa = HpaPlan(
        min_replicas=minimum,
        max_replicas=maximum,
        target_cpu_percent=target,
        behavior=rules,
        target_running_sequences=running,
    )
    return hpa, _pdb(rec, minimum)


def _bounds(spec: Spec, rec: Recorder, cap: CapacityPlan, gpu: bool) -> tuple[int, int]:
    """HPA floor (the average load's fleet, spread like the peak's) and ceiling (peak × 1.25)."""
    zones = cap.zones
    floor = max(zones, 2 if spec.slo.availability >= 99.9 else 1)
    needed = replicas_needed(cap.average_rps, cap.per_replica_rps, cap.utilisation)
    at_average = replicas_per_zone(needed, zones, cap.spare_per_zone) * zones
    maximum = math.ceil(cap.replicas * HPA_BURST / zones) * zones
    minimum = min(max(at_average, floor), maximum)
    never_zero = "; a GPU service never scales to zero under a latency SLO" if gpu else ""
    spread = f"ceil({needed} / ({zones} − 1))" if zones > 1 else f"{needed}"
    rec.add(
        "serving.hpa.min_replicas",
        minimum,
        unit="replicas",
        formula="max(zones × (ceil(n_avg / (zones − 1)) + spare), zones, 2); "
        "n_avg = ceil(avg_rps / (per_replica_rps × ρ))",
        computed=[
            f"n_avg = ceil({fmt(cap.average_rps)} / ({fmt(cap.per_replica_rps)} × "
            f"{fmt(cap.utilisation)})) = {needed}",
            f"max({zones} × ({spread} + {cap.spare_per_zone}) = {at_average}, {floor}) = {minimum}",
        ],
        inputs={"average_rps": cap.average_rps, "zones": zones, "floor": floor},
        sources=[("slo", "throughput"), _AVAIL],
        reason="the average load's fleet with the same zone headroom as the peak's, so the "
        "morning ramp never waits for nodes; ≥ 2 for the PDB" + never_zero,
    )
    rec.add(
        "serving.hpa.max_replicas",
        maximum,
        unit="replicas",
        formula=f"roundup_zones(replicas × {HPA_BURST:g})",
        computed=f"roundup_{zones}({cap.replicas} × {HPA_BURST}) = {maximum}",
        inputs={"replicas": cap.replicas, "burst": HPA_BURST, "zones": zones},
        sources=[("slo", "throughput"), _AVAIL],
        reason="25 % over the planned peak absorbs a surprise; the cap bounds a runaway scale-up",
    )
    return minimum, maximum


def _pdb(rec: Recorder, minimum: int) -> PdbPlan:
    enabled = minimum >= 2
    rec.add(
        "serving.pdb.max_unavailable",
        1 if enabled else "none",
        formula="1 when min_replicas ≥ 2, else no PDB",
        computed=f"min_replicas = {minimum} → {'1' if enabled else 'none'}",
        inputs={"min_replicas": minimum},
        sources=[_AVAIL],
        reason="node drains evict one pod at a time; a lone replica gets no PDB, which would "
        "block drains forever",
    )
    return PdbPlan(enabled=enabled, max_unavailable=1 if enabled else None)


def replica_memory_mb(models: tuple[ModelPlan, ...], workers: int) -> tuple[float, float]:
    """Per-worker model memory (every served partition model loaded) and the replica total."""
    per_worker = sum(
        m.calibration.memory_mb * (m.partition.cardinality if m.partition else 1)
        for m in models
        if m.served
    )
    total = (
        calibration.REPLICA_BASE_MEMORY_MB + workers * per_worker
    ) * calibration.MEMORY_HEADROOM
    return per_worker, total


def plan_replica(
    spec: Spec,
    rec: Recorder,
    cap: CapacityPlan | None,
    shape: ReplicaShape,
    models: tuple[ModelPlan, ...],
    gpu_class: str | None,
) -> ReplicaPlan:
    """Memory, workers, concurrency limits and timeout of one replica."""
    per_worker, total_mb = replica_memory_mb(models, shape.workers)
    memory_gib = math.ceil(total_mb / 1024)
    rec.add(
        "serving.replica.memory_gib",
        memory_gib,
        unit="GiB",
        formula=f"ceil(({_BASE_MB} MB + workers × Σ model MB × partitions) × {_HEADROOM} / 1024)",
        computed=f"ceil(({_BASE_MB} + {shape.workers} × {fmt(per_worker)}) × {_HEADROOM} / 1024) "
        f"= {memory_gib}",
        inputs={"workers": shape.workers, "model_mb_per_worker": clean(per_worker)},
        sources=[("serving", "models"), ("models",)],
        reason="each worker process loads its own copy of every model, partitions included",
    )
    p95 = spec.slo.latency_p95_ms
    timeout = spec.serving.timeout_ms or (TIMEOUT_P95_MULTIPLE * p95 if p95 else DEFAULT_TIMEOUT_MS)
    rec.add(
        "serving.replica.timeout_ms",
        clean(timeout),
        unit="ms",
        formula=f"spec timeout_ms, else {TIMEOUT_P95_MULTIPLE} × p95",
        computed=f"{TIMEOUT_P95_MULTIPLE} × {fmt(p95)} = {fmt(timeout)}"
        if not spec.serving.timeout_ms
        else "stated",
        inputs={"latency_p95_ms": p95, "timeout_ms": spec.serving.timeout_ms},
        sources=[("serving", "timeout_ms"), ("slo", "latency_p95_ms")],
        reason="M/M/1 tail: P(T > 4·p95) = 20^-4, so only hung requests hit it and free a worker",
    )
    concurrency, max_concurrency = _concurrency(rec, cap, p95)
    return ReplicaPlan(
        cpu=shape.cpu,
        memory_gib=memory_gib,
        gpu=shape.gpus,
        gpu_class=(gpu_class or calibration.DEFAULT_GPU_CLASS) if shape.gpus else None,
        workers=shape.workers,
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        timeout_ms=clean(timeout),
    )


def _concurrency(rec: Recorder, cap: CapacityPlan | None, p95: float | None) -> tuple[int, int]:
    if cap is None:
        return 1, 1
    rate = cap.per_replica_rps * cap.utilisation
    sojourn_s = cap.service_time_ms / 1000 / (1 - cap.utilisation)
    concurrency = max(1, math.ceil(round(rate * sojourn_s, 9)))
    budget_s = (p95 or LN20 * cap.service_time_ms / (1 - cap.utilisation)) / 1000
    max_concurrency = max(concurrency, math.ceil(round(cap.per_replica_rps * budget_s, 9)))
    rec.add(
        "serving.replica.max_concurrency",
        max_concurrency,
        unit="requests",
        formula=[
            "ceil(per_replica_rps × p95)",
            "concurrency = ceil(rps × ρ × S / (1 − ρ))",
        ],
        computed=[
            f"ceil({fmt(cap.per_replica_rps)} × {fmt(budget_s)}) = {max_concurrency}",
            f"concurrency = ceil({fmt(rate)} × {fmt(sojourn_s)}) = {concurrency}",
        ],
        inputs={"per_replica_rps": cap.per_replica_rps, "rho": cap.utilisation},
        sources=[("slo", "latency_p95_ms")],
        reason="Little's law per replica: beyond this many in flight a new request would wait "
        "past p95, so it is shed with 503 (a capacity signal) instead",
    )
    return concurrency, max_concurrency
