# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Split the p95 budget between the batching window and service plus queueing.

A batched request can wait up to the dispatcher's window for its batch before it is served,
and then it queues and is served like any other. Both come out of the same p95: the window
W is taken first, and the utilisation target is then computed on what is left,
ρ = min(0.7, 1 − ln(20)·S / (p95 − W)), so that W + ln(20)·S / (1 − ρ) ≤ p95 (the M/M/1
sojourn time's 95th percentile includes the service time S). A window is worth having only
while it costs no replicas, so the derived window is what the p95 leaves over the sojourn
time at the 0.7 cap, at most half the time left after S, and at least 1 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.diagnostics import delete_key
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec

LN20 = math.log(20)
RHO_CAP = 0.7
MIN_WINDOW_MS = 1.0
DEFAULT_WINDOW_MS = 100.0
"""Window when there is no latency SLO (batch scoring through the same service)."""

_BATCHING = ("serving", "batching")
_P95 = ("slo", "latency_p95_ms")


@dataclass(frozen=True)
class LatencyBudget:
    """The batching window and the part of the p95 left for service and queueing.

    Attributes:
        window_ms: The dispatcher's window (0 when requests are not batched).
        queue_budget_ms: p95 − window: what service time and queueing may spend.
        batched: Whether the request path batches at all.
    """

    window_ms: float
    queue_budget_ms: float | None
    batched: bool


def batches(spec: Spec, stages: tuple[StagePlan, ...]) -> bool:
    """Batching applies: enabled in the spec and a batchable model on the real-time path."""
    return (
        spec.serving.batching.enabled
        and bool(spec.serving.models)
        and any(s.batchable for s in stages)
    )


def derived_window_ms(p95: float, service_ms: float) -> float:
    """floor(min(p95 − ln(20)·S / (1 − 0.7), (p95 − S) / 2)), at least 1 ms."""
    spare = p95 - LN20 * service_ms / (1 - RHO_CAP)
    return float(max(MIN_WINDOW_MS, math.floor(min(spare, (p95 - service_ms) / 2))))


def plan_latency_budget(
    spec: Spec, rec: Recorder, stages: tuple[StagePlan, ...], service_ms: float
) -> LatencyBudget:
    """The batching window (derived or stated) and the budget left for ρ (W505 when wasteful)."""
    p95 = spec.slo.latency_p95_ms
    if not stages or not batches(spec, stages):
        return LatencyBudget(window_ms=0.0, queue_budget_ms=p95, batched=False)
    stated = spec.serving.batching.max_latency_ms
    if p95 is None:
        window = stated if stated is not None else DEFAULT_WINDOW_MS
        _record(rec, window, None, service_ms, "no latency SLO: a 100 ms window", stated)
        return LatencyBudget(window_ms=clean(window), queue_budget_ms=None, batched=True)
    derived = derived_window_ms(p95, service_ms)
    window = stated if stated is not None else derived
    computed = (
        f"floor(min({fmt(p95)} − {fmt(LN20)} × {fmt(service_ms)} / 0.3, "
        f"({fmt(p95)} − {fmt(service_ms)}) / 2)) = {fmt(derived)} (≥ 1)"
    )
    if stated is not None and stated > derived:
        rec.warn(
            "W505",
            f"batching max_latency_ms {fmt(stated)} leaves {fmt(p95 - stated)} ms of the "
            f"{fmt(p95)} ms p95 for service and queueing; the derived window of "
            f"{fmt(derived)} ms keeps utilisation at its {RHO_CAP} cap",
            (*_BATCHING, "max_latency_ms"),
            hint=f"remove max_latency_ms to let the plan derive {fmt(derived)} ms from the SLO, "
            f"or set it to at most {fmt(derived)}",
            fix=[delete_key((*_BATCHING, "max_latency_ms"))],
        )
    _record(rec, window, p95, service_ms, computed, stated)
    return LatencyBudget(window_ms=clean(window), queue_budget_ms=clean(p95 - window), batched=True)


def _record(
    rec: Recorder,
    window: float,
    p95: float | None,
    service_ms: float,
    computed: str,
    stated: float | None,
) -> None:
    rec.add(
        "serving.batching.max_latency_ms",
        clean(window),
        unit="ms",
        formula=f"floor(min(p95 − ln(20)·S / (1 − {RHO_CAP}), (p95 − S) / 2)), "
        f"≥ {MIN_WINDOW_MS:g}, unless stated",
        computed=computed + ("" if stated is None else f"; stated {fmt(stated)}"),
        inputs={"latency_p95_ms": p95, "service_time_ms": clean(service_ms), "stated": stated},
        sources=[_P95, (*_BATCHING, "max_latency_ms")],
        reason="the window comes out of the p95 before queueing does: it takes only what the "
        f"M/M/1 tail at ρ = {RHO_CAP} leaves, so batching costs no replicas; never the "
        "library's 60 s",
    )


def record_split(
    rec: Recorder, p95: float | None, service_ms: float, rho: float, budget: LatencyBudget
) -> tuple[float, float]:
    """Record S + queueing + window against the p95; returns (queueing p95, total) in ms."""
    sojourn = LN20 * service_ms / (1 - rho)
    queueing = clean(sojourn - service_ms)
    total = clean(sojourn + budget.window_ms)
    rec.add(
        "serving.latency_budget_ms",
        total,
        unit="ms",
        formula="S + queueing + W = ln(20)·S / (1 − ρ) + W ≤ p95",
        computed=f"{fmt(service_ms)} + {fmt(queueing)} + {fmt(budget.window_ms)} = {fmt(total)} "
        f"(p95 {fmt(p95)})",
        inputs={
            "service_time_ms": clean(service_ms),
            "queueing_ms": queueing,
            "batching_window_ms": budget.window_ms,
            "latency_p95_ms": p95,
        },
        sources=[_P95, (*_BATCHING, "max_latency_ms")],
        reason="the p95 split explicitly: service time, the M/M/1 queueing tail at the planned "
        "ρ, and the batching window; the sum must not pass the p95 when the SLO is met",
    )
    return queueing, total
