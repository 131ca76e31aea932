# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Assemble the serving plan: request schema, path, capacity, cache, routing, experiments.

The order matters: the path's stages give S and per-replica throughput, capacity turns them
into replicas over the planned zones, and the autoscaler, replica shape, batching and batch
job follow from those. Cache size is planned here too, because it lives in the online store
and the feature-store plan must add it to Redis memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import autoscaling, batching, capacity, data, experiments, rules
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import CachePlan, RoutingPlan, ServingPlan
from mlopsgen.plan.latency_budget import LatencyBudget, plan_latency_budget
from mlopsgen.plan.llm.capacity import plan_llm_capacity
from mlopsgen.plan.names import K8sName
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.plan.serving_path import (
    build_stages,
    online_views,
    replica_shape,
)
from mlopsgen.plan.slo_check import check_slo
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

CACHE_ENTRY_OVERHEAD = 64
HASHED_KEY_BYTES = 32
LIST_ANSWER_BYTES = 1024
SCORE_ANSWER_BYTES = 256


@dataclass(frozen=True)
class ServingResult:
    """The serving plan and what other sections need from it."""

    plan: ServingPlan
    cache_bytes: int
    store_on_path: bool


def plan_cache(spec: Spec, rec: Recorder, peak_rps: float) -> CachePlan | None:
    """Cache entries and memory: every miss inserts a key that lives for the TTL."""
    cache = spec.serving.cache
    if cache is None or not cache.enabled:
        return None
    ttl = duration_seconds(cache.ttl)
    columns = dict(data.request_fields(spec))
    hashed = any(columns[k].type in ("text", "image") for k in cache.key if k in columns)
    key_bytes = (
        HASHED_KEY_BYTES
        if hashed
        else sum(data.json_bytes(columns[k]) for k in cache.key if k in columns)
    )
    tasks = {m.task for m in spec.models if m.name in spec.serving.models}
    answer = LIST_ANSWER_BYTES if tasks & {"ranking", "retrieval"} else SCORE_ANSWER_BYTES
    entry = key_bytes + answer + CACHE_ENTRY_OVERHEAD
    derived = math.ceil(peak_rps * (1 - cache.hit_ratio) * ttl)
    entries = cache.max_entries or derived
    memory_mb = clean(entries * entry / 1e6)
    rec.add(
        "serving.cache.max_entries",
        entries,
        unit="entries",
        formula="max_entries, else ceil(peak_rps × (1 − hit_ratio) × ttl_s)",
        computed=[f"ceil({fmt(peak_rps)} × {fmt(1 - cache.hit_ratio)} × {ttl}) = {derived}"]
        + ([] if cache.max_entries is None else [f"stated in the spec: {cache.max_entries}"]),
        inputs={"hit_ratio": cache.hit_ratio, "ttl_s": ttl, "entry_bytes": entry},
        sources=[("serving", "cache")],
        reason=f"each miss stores an answer for the TTL; ≈ {fmt(memory_mb)} MB at {entry} B "
        "per entry (key, answer, overhead)",
    )
    return CachePlan(
        enabled=True,
        key=tuple(cache.key),
        ttl=cache.ttl,
        ttl_seconds=ttl,
        hit_ratio=cache.hit_ratio,
        max_entries=entries,
        entry_bytes=entry,
        memory_mb=memory_mb,
        backend="memory" if spec.infrastructure.cloud == "local" else "redis",
    )


def plan_routing(spec: Spec) -> RoutingPlan | None:
    """Routing with the key's known values (the partitions a request can be sent to)."""
    routing = spec.serving.routing
    if routing is None:
        return None
    columns = dict(data.request_fields(spec))
    owner = next((s for s in spec.data.sources if routing.key in s.schema_), None)
    column = columns.get(routing.key) or (owner.schema_[routing.key] if owner else None)
    values = tuple(column.values) if column is not None and column.values else None
    return RoutingPlan(
        key=routing.key,
        detector=routing.detector,
        targets=tuple(routing.targets),
        fallback=routing.fallback,
        partition_values=values,
    )


def plan_serving(
    spec: Spec,
    rec: Recorder,
    models: tuple[ModelPlan, ...],
    zones: int,
    gpu_class: str | None,
) -> ServingResult:
    """The serving section and the cache bytes and store use the other sections need."""
    serving = spec.serving
    realtime = serving.mode in ("realtime", "both")
    shape = replica_shape(spec, models)
    stages = build_stages(spec, models, shape)
    cache = serving.cache
    hit = cache.hit_ratio if cache is not None and cache.enabled else 0.0
    cap = hpa = pdb = None
    budget = LatencyBudget(window_ms=0.0, queue_budget_ms=None, queued_service_ms=0.0)
    llm = next((m.llm for m in models if m.name in serving.models and m.llm), None)
    if realtime and llm is not None:
        cap = plan_llm_capacity(spec, rec, llm, zones)
        hpa, pdb = autoscaling.plan_hpa(spec, rec, cap, shape, engine_sequences=llm.max_num_seqs)
    elif realtime:
        budget = plan_latency_budget(spec, rec, stages, shape.workers)
        cap = capacity.plan_capacity(spec, rec, stages, zones, hit, budget)
        check_slo(spec, rec, models, stages, cap.service_time_ms, budget)
        hpa, pdb = autoscaling.plan_hpa(spec, rec, cap, shape)
    peak, _ = capacity.throughput(spec)
    cache_plan = plan_cache(spec, rec, peak) if realtime else None
    plan = ServingPlan(
        mode=serving.mode,
        realtime=realtime,
        service_name=K8sName.from_text(spec.system.name),
        models=tuple(serving.models),
        request_fields=tuple(data.field_plan(n, f) for n, f in data.request_fields(spec)),
        latency_p95_ms=spec.slo.latency_p95_ms,
        stages=stages,
        capacity=cap,
        hpa=hpa,
        pdb=pdb,
        replica=autoscaling.plan_replica(spec, rec, cap, shape, models, gpu_class),
        batching=batching.plan_batching(
            spec, rec, stages if realtime and llm is None else (), budget
        ),
        cache=cache_plan,
        routing=plan_routing(spec),
        decision=rules.plan_decision(serving.decision),
        experiments=tuple(
            experiments.plan_experiment(spec, rec, i, e) for i, e in enumerate(serving.experiments)
        ),
        batch=batching.plan_batch_job(spec, rec, models),
    )
    cache_bytes = round(cache_plan.memory_mb * 1e6) if cache_plan else 0
    store_on_path = realtime and bool(online_views(spec, models))
    return ServingResult(plan=plan, cache_bytes=cache_bytes, store_on_path=store_on_path)
