# Formulas are written in mathematical notation (×, −, ⌈⌉) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Serving capacity of a language model's path: engine groups spread over the zones.

A language model's replica is one engine: a tensor-parallel group of GPUs running many
sequences at once by continuous batching, not an M/M/1 queue. Its count comes from the LLM
plan (Little's law over sequence slots); the spread over zones is the rule every replica
follows, so a zone loss leaves the planned groups.
"""

from __future__ import annotations

from mlopsgen.plan import capacity
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.ir.serving import CapacityPlan
from mlopsgen.plan.llm.model import OCCUPANCY
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec


def plan_llm_capacity(spec: Spec, rec: Recorder, llm: LlmPlan, zones: int) -> CapacityPlan:
    """Replicas = the LLM plan's groups, spread over zones with the usual headroom."""
    peak, average = capacity.throughput(spec)
    capacity.record_load(spec, rec, peak, average)
    needed = llm.groups_needed
    rec.add(
        "serving.replicas_needed",
        needed,
        unit="replicas",
        formula="engine groups from the LLM plan: ⌈concurrent sequences / (batch × occupancy)⌉",
        computed=f"⌈{fmt(llm.concurrent_sequences)} / ({llm.max_num_seqs} × {OCCUPANCY})⌉ = "
        f"{needed} groups of {llm.tensor_parallel} × {llm.gpu_class}",
        inputs={
            "concurrent_sequences": llm.concurrent_sequences,
            "max_num_seqs": llm.max_num_seqs,
        },
        sources=[("slo", "throughput"), ("models",)],
        reason="each replica is one engine batching its sequences continuously; its slots, "
        "not a queue's utilisation, bound what it serves",
    )
    spread = capacity.spread_over_zones(spec, rec, needed, zones, OCCUPANCY)
    return CapacityPlan(
        peak_rps=clean(peak),
        average_rps=clean(average),
        cache_hit_ratio=0.0,
        service_time_ms=llm.e2e_mean_ms,
        per_replica_rps=clean(engine_rps(llm)),
        utilisation_raw=OCCUPANCY,
        utilisation=OCCUPANCY,
        batching_window_ms=0.0,
        queueing_ms=0.0,
        latency_total_ms=llm.e2e_p95_ms,
        latency_slo_met=True,
        in_flight=llm.concurrent_sequences,
        replicas_needed=needed,
        zones=zones,
        spare_per_zone=spread.spare,
        replicas_per_zone=spread.per_zone,
        replicas=spread.total,
        scaling_utilisation=spread.scaling,
    )


def engine_rps(llm: LlmPlan) -> float:
    """Requests one engine group completes a second at the planned occupancy:
    batch × occupancy / mean end-to-end time (0 without a time)."""
    e2e_s = llm.e2e_mean_ms / 1000
    return llm.max_num_seqs * OCCUPANCY / e2e_s if e2e_s > 0 else 0.0
