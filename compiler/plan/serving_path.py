# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF002, RUF003
"""The request path: which stages a request passes through, and what each one costs.

Capacity is planned on the path, not on one model: every request pays the model server's
overhead and the cache lookup; cache misses also pay the feature lookup, every model called
in order, and the decision rules. Service time S adds up along the path; so does *replica
time* per request (1 / per-replica throughput), because the stages share the same cores.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen.plan import calibration
from mlopsgen.plan.calibration import Figures
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.record import clean
from mlopsgen.plan.rules import rule_references
from mlopsgen.spec.models.root import Spec


@dataclass(frozen=True)
class ReplicaShape:
    """What one serving replica is: CPU workers, or one worker per GPU."""

    device: str
    workers: int
    gpus: int
    cpu: float


def replica_shape(spec: Spec, models: tuple[ModelPlan, ...]) -> ReplicaShape:
    """A GPU replica when any model on the path needs a GPU, else a standard CPU replica."""
    served = [m for m in models if m.served]
    gpus = max((m.gpu_serving for m in served), default=0)
    if gpus > 0:
        return ReplicaShape("gpu", gpus, gpus, float(calibration.GPU_REPLICA_VCPU * gpus))
    workers = calibration.CPU_REPLICA_WORKERS
    return ReplicaShape("cpu", workers, 0, float(calibration.CPU_REPLICA_VCPU))


def online_views(spec: Spec, models: tuple[ModelPlan, ...]) -> list[str]:
    """Online feature views a request needs: model inputs on the path and rule references."""
    path = set(spec.serving.models)
    names = {i.view for m in models if m.name in path for i in m.inputs if i.view}
    decision = spec.serving.decision
    if decision is not None:
        for rule in decision.rules:
            names.update(r.split(".")[0] for r in rule_references(rule.when) if "." in r)
    online = {v.name for v in spec.features.views if v.online}
    return sorted(n for n in names if n is not None and n in online)


def _stage(
    name: str, kind: str, figures: Figures, workers: int, applies_to: str, batchable: bool = False
) -> StagePlan:
    return StagePlan(
        name=name,
        kind=kind,
        service_time_ms=figures.service_time_ms,
        per_replica_rps=clean(figures.per_replica_rps * workers),
        applies_to=applies_to,
        batchable=batchable,
    )


def build_stages(
    spec: Spec, models: tuple[ModelPlan, ...], shape: ReplicaShape
) -> tuple[StagePlan, ...]:
    """The stages of the request path, in the order a request meets them."""
    cache = spec.serving.cache
    cached = cache is not None and cache.enabled
    miss = "misses" if cached else "all"
    stages = [_stage("server", "server", calibration.SERVER_PER_WORKER, shape.workers, "all")]
    if cached:
        stages.append(_stage("cache", "cache", calibration.CACHE_PER_WORKER, shape.workers, "all"))
    views = online_views(spec, models)
    entities = sorted({v.entity for v in spec.features.views if v.name in views})
    if entities:
        lookup = calibration.FEATURES_PER_WORKER
        per_entity = Figures(lookup.service_time_ms, lookup.per_replica_rps / len(entities), 0)
        stages.append(_stage("features", "features", per_entity, shape.workers, miss))
    by_name = {m.name: m for m in models}
    for name in spec.serving.models:
        model = by_name[name]
        cal = model.calibration
        rps = cal.per_replica_rps
        if cal.device == "cpu" and shape.device == "gpu":
            rps = rps * shape.workers / calibration.CPU_REPLICA_WORKERS
        batchable = model.framework not in calibration.UNBATCHABLE_FRAMEWORKS
        figures = Figures(cal.service_time_ms, rps, cal.memory_mb)
        stages.append(_stage(f"model:{name}", "model", figures, 1, miss, batchable))
    if spec.serving.decision is not None:
        stages.append(_stage("rules", "rules", calibration.RULES_PER_WORKER, shape.workers, miss))
    return tuple(stages)


def path_service_time_ms(stages: tuple[StagePlan, ...]) -> float:
    """S of a cache miss: every stage in turn (a miss is what the p95 sees)."""
    return sum(s.service_time_ms for s in stages)


def path_replica_rps(stages: tuple[StagePlan, ...], hit_ratio: float) -> float:
    """Requests per second one replica sustains: 1 / Σ replica time per request.

    Stages every request takes count fully; stages only misses take count (1 − hit ratio).
    """
    seconds = sum(
        (1 - hit_ratio if s.applies_to == "misses" else 1.0) / s.per_replica_rps for s in stages
    )
    return 1 / seconds
