# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Split the p95 budget between the batching deadline and the queue in front of it.

BentoML's dispatcher gives a batched call a deadline: a request waits for its batch and the
batch executes within ``max_latency_ms`` W, or the request is shed with 503. The generated
service scores a whole request (cache, features, models, rules) in its batched call, so only
the model server's own stage (HTTP, validation, dispatch) queues in front of it, as an M/M/1
queue with service time S_front. Both come out of the same p95:
ln(20)·S_front / (1 − ρ) + W ≤ p95, so the derived window is what the p95 leaves over the
front stage's sojourn at the 0.7 cap, floored to whole milliseconds and at least 1 ms.

A window pays only when a batch of two executes within half of it (the other half is for the
batch to fill): a batch of b rows takes T(b) = S_batched + (b − 1)·c, where S_batched is the
call's one-row service time and c its per-row cost on one worker (workers / per-replica
throughput of each stage). Otherwise requests are served one by one and the whole path's S
queues, as without batching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from mlopsgen.diagnostics import delete_key
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.plan.serving_path import path_service_time_ms
from mlopsgen.spec.models.root import Spec

LN20 = math.log(20)
RHO_CAP = 0.7
MIN_WINDOW_MS = 1.0
DEFAULT_WINDOW_MS = 100.0
"""Window when there is no latency SLO (batch scoring through the same service)."""

_BATCHING = ("serving", "batching")
_P95 = ("slo", "latency_p95_ms")


@dataclass(frozen=True)
class BatchCost:
    """What one batched call costs on one worker: T(b) = one_row_ms + (b − 1) × row_ms.

    Attributes:
        front_ms: S of the stages in front of the batched call (the model server's own).
        one_row_ms: S of the batched call holding one row (everything after the server).
        row_ms: Each further row's cost on one worker: Σ workers × share / per-replica rps,
            and the whole S of a stage that cannot batch (it loops over the rows).
        workers: The replica's workers, each running its own batches.
    """

    front_ms: float
    one_row_ms: float
    row_ms: float
    workers: int

    def execution_ms(self, rows: int) -> float:
        """T(b): the time one worker takes to run a batch of ``rows``."""
        return self.one_row_ms + (rows - 1) * self.row_ms


@dataclass(frozen=True)
class LatencyBudget:
    """The batching window and the part of the p95 left for service and queueing.

    Attributes:
        window_ms: The dispatcher's window (0 when requests are not batched).
        queue_budget_ms: p95 − window: what service time and queueing may spend.
        queued_service_ms: S of what queues in front of the window: the model server's own
            stage when batched, else the whole path.
        cost: The batched call's cost model, when the path is batched.
        unbatched_reason: Why a batchable path is served one by one, when it is.
        window_fits: Whether a one-row batched call fits the window (a stated one may not).
    """

    window_ms: float
    queue_budget_ms: float | None
    queued_service_ms: float
    cost: BatchCost | None = None
    unbatched_reason: str | None = None
    window_fits: bool = True

    @property
    def batched(self) -> bool:
        """Whether the request path batches at all."""
        return self.cost is not None


def batch_cost(stages: tuple[StagePlan, ...], workers: int) -> BatchCost:
    """The batched call's cost model from the path's stages (see the module docstring)."""
    front = sum(s.service_time_ms for s in stages if s.kind == "server")
    row = sum(
        (
            workers * s.share / s.per_replica_rps * 1000
            if s.batchable or s.kind != "model"
            else s.service_time_ms * s.share
        )
        for s in stages
        if s.kind != "server"
    )
    return BatchCost(
        front_ms=front,
        one_row_ms=path_service_time_ms(stages) - front,
        row_ms=clean(row, 4),
        workers=workers,
    )


def batches(spec: Spec, stages: tuple[StagePlan, ...]) -> bool:
    """Batching applies: enabled in the spec and a batchable model on the real-time path."""
    return (
        spec.serving.batching.enabled
        and bool(spec.serving.models)
        and any(s.batchable for s in stages)
    )


def derived_window_ms(p95: float, front_ms: float) -> float:
    """floor(p95 − ln(20)·S_front / (1 − 0.7)), at least 1 ms."""
    return float(max(MIN_WINDOW_MS, math.floor(p95 - LN20 * front_ms / (1 - RHO_CAP))))


def plan_latency_budget(
    spec: Spec, rec: Recorder, stages: tuple[StagePlan, ...], workers: int
) -> LatencyBudget:
    """The batching window (derived or stated) and the budget left for ρ (W505 when wasteful).

    Falls back to serving one by one, with the reason recorded by the batching plan, when a
    batch of two would not execute within half the window.
    """
    p95 = spec.slo.latency_p95_ms
    unbatched = LatencyBudget(
        window_ms=0.0, queue_budget_ms=p95, queued_service_ms=path_service_time_ms(stages)
    )
    if not stages or not batches(spec, stages):
        return unbatched
    cost = batch_cost(stages, workers)
    stated = spec.serving.batching.max_latency_ms
    if p95 is None:
        window = stated if stated is not None else DEFAULT_WINDOW_MS
        _record(rec, window, None, cost, "no latency SLO: a 100 ms window", stated)
        return LatencyBudget(
            window_ms=clean(window), queue_budget_ms=None, queued_service_ms=cost.front_ms,
            cost=cost,
        )  # fmt: skip
    derived = derived_window_ms(p95, cost.front_ms)
    window = stated if stated is not None else derived
    computed = f"floor({fmt(p95)} − {fmt(LN20)} × {fmt(cost.front_ms)} / 0.3) = {fmt(derived)}"
    if stated is None and cost.execution_ms(2) > window / 2:
        reason = (
            f"a batch of two takes {fmt(cost.one_row_ms)} + {fmt(cost.row_ms)} = "
            f"{fmt(cost.execution_ms(2))} ms, more than half the {fmt(window)} ms window the "
            f"p95 leaves"
        )
        return replace(unbatched, unbatched_reason=reason)
    if stated is not None and stated > derived:
        rec.warn(
            "W505",
            f"batching max_latency_ms {fmt(stated)} leaves {fmt(p95 - stated)} ms of the "
            f"{fmt(p95)} ms p95 for the model server's queue; the derived window of "
            f"{fmt(derived)} ms keeps utilisation at its {RHO_CAP} cap",
            (*_BATCHING, "max_latency_ms"),
            hint=f"remove max_latency_ms to let the plan derive {fmt(derived)} ms from the SLO, "
            f"or set it to at most {fmt(derived)}",
            fix=[delete_key((*_BATCHING, "max_latency_ms"))],
        )
    fits = stated is None or stated >= cost.one_row_ms
    if not fits:
        rec.fail(
            "E502",
            f"batching max_latency_ms {fmt(stated)} is shorter than one batched call of a "
            f"single row ({fmt(cost.one_row_ms)} ms): the dispatcher would shed every request",
            (*_BATCHING, "max_latency_ms"),
            hint=f"remove max_latency_ms to let the plan derive {fmt(derived)} ms from the SLO",
        )
    _record(rec, window, p95, cost, computed, stated)
    return LatencyBudget(
        window_ms=clean(window), queue_budget_ms=clean(p95 - window),
        queued_service_ms=cost.front_ms, cost=cost, window_fits=fits,
    )  # fmt: skip


def _record(
    rec: Recorder,
    window: float,
    p95: float | None,
    cost: BatchCost,
    computed: str,
    stated: float | None,
) -> None:
    rec.add(
        "serving.batching.max_latency_ms",
        clean(window),
        unit="ms",
        formula=f"floor(p95 − ln(20)·S_front / (1 − {RHO_CAP})), ≥ {MIN_WINDOW_MS:g}, "
        "unless stated",
        computed=computed + ("" if stated is None else f"; stated {fmt(stated)}"),
        inputs={
            "latency_p95_ms": p95,
            "front_service_ms": clean(cost.front_ms),
            "batched_one_row_ms": clean(cost.one_row_ms),
            "batched_row_ms": cost.row_ms,
            "stated": stated,
        },
        sources=[_P95, (*_BATCHING, "max_latency_ms")],
        reason="the dispatcher sheds a request its batch cannot finish within the window, so "
        "the batched call never takes longer than W; the window is what the p95 leaves once "
        f"the model server's own queue has its M/M/1 tail at ρ = {RHO_CAP}; never the "
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
        formula="S + queueing + W = ln(20)·S / (1 − ρ) + W ≤ p95; S is what queues: the "
        "model server's own stage when the rest of the path is batched, else the whole path",
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
