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
from mlopsgen.plan.llm.options import CPU_PER_GPU
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
    """A GPU replica when any model on the path needs a GPU, else a standard CPU replica.

    A language model's replica is one engine process over its tensor-parallel group.
    """
    served = [m for m in models if m.served]
    engine = next((m.llm for m in served if m.llm is not None), None)
    if engine is not None:
        tp = engine.tensor_parallel
        return ReplicaShape("gpu", 1, tp, float(CPU_PER_GPU * tp))
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
    name: str,
    kind: str,
    figures: Figures,
    workers: int,
    applies_to: str,
    batchable: bool = False,
    share: tuple[float, str | None] = (1.0, None),
) -> StagePlan:
    return StagePlan(
        name=name,
        kind=kind,
        service_time_ms=figures.service_time_ms,
        per_replica_rps=clean(figures.per_replica_rps * workers),
        applies_to=applies_to,
        batchable=batchable,
        share=clean(share[0]),
        alternative_of=share[1],
    )


def model_shares(spec: Spec) -> dict[str, tuple[float, str | None]]:
    """Share of requests reaching each served model that an experiment routes elsewhere.

    In an experiment whose arms call different models, a request calls its arm's model only:
    the first variant is the control, which also answers requests outside the experiment,
    and an arm naming no model calls the control's. Ensemble members and the anomaly model
    are called for every request whatever the arm; a routing target is called once per
    request (one of its partitions), so both keep a share of 1. A model that alternates in
    several experiments keeps the largest share (an upper bound).
    """
    always: set[str] = set()
    decision = spec.serving.decision
    if decision is not None:
        always |= set(decision.ensemble)
        if decision.anomaly_model is not None:
            always.add(decision.anomaly_model)
    shares: dict[str, tuple[float, str | None]] = {}
    for exp in spec.serving.experiments:
        arms = list(exp.variants)
        control = exp.variants[arms[0]].model
        chosen = {arm: exp.variants[arm].model or control for arm in arms}
        models = {m for m in chosen.values() if m is not None}
        if len(models) < 2:
            continue
        traffic, total = exp.traffic_percent / 100, sum(exp.split.values())
        for model in sorted(models - always):
            share = (1 - traffic) * (model == control) + traffic * sum(
                exp.split.get(arm, 0) / total for arm in arms if chosen[arm] == model
            )
            if model not in shares or share > shares[model][0]:
                shares[model] = (share, shares.get(model, (0.0, exp.name))[1] or exp.name)
    return shares


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
    shares = model_shares(spec)
    for name in spec.serving.models:
        model = by_name[name]
        cal = model.calibration
        rps = cal.per_replica_rps
        if cal.device == "cpu" and shape.device == "gpu":
            rps = rps * shape.workers / calibration.CPU_REPLICA_WORKERS
        batchable = model.framework not in calibration.UNBATCHABLE_FRAMEWORKS
        figures = Figures(cal.service_time_ms, rps, cal.memory_mb)
        share = shares.get(name, (1.0, None))
        stages.append(_stage(f"model:{name}", "model", figures, 1, miss, batchable, share))
    if spec.serving.decision is not None:
        stages.append(_stage("rules", "rules", calibration.RULES_PER_WORKER, shape.workers, miss))
    return tuple(stages)


def path_service_time_ms(stages: tuple[StagePlan, ...]) -> float:
    """S of a cache miss: every stage in turn (a miss is what the p95 sees); of an
    experiment's alternative models only the slowest, since a request calls one of them."""
    alone = sum(s.service_time_ms for s in stages if s.alternative_of is None)
    groups: dict[str, float] = {}
    for s in stages:
        if s.alternative_of is not None:
            groups[s.alternative_of] = max(groups.get(s.alternative_of, 0.0), s.service_time_ms)
    return alone + sum(groups.values())


def path_replica_rps(stages: tuple[StagePlan, ...], hit_ratio: float) -> float:
    """Requests per second one replica sustains: 1 / Σ replica time per request.

    Stages every request takes count fully; stages only misses take count (1 − hit ratio);
    a model an experiment arm calls counts by its share of the requests.
    """
    seconds = sum(
        (1 - hit_ratio if s.applies_to == "misses" else 1.0) * s.share / s.per_replica_rps
        for s in stages
    )
    return 1 / seconds
