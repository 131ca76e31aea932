# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Adaptive batching from the latency budget, and the workers a batch job needs.

BentoML's dispatcher releases a batch when the time a request has waited plus the batch's
estimated execution time would pass ``max_latency_ms``, and sheds requests it cannot serve
in time with HTTP 503. So ``max_latency_ms`` is a deadline for the batched call, and it must
come from the SLO: the library default of 60 s would let a request queue for a minute. The
window is planned with the rest of the p95 budget (``latency_budget``); here batches are sized
so one executes within half that window on one worker, by the call's cost model
T(b) = S_batched + (b − 1)·c.
"""

from __future__ import annotations

import math

from mlopsgen.plan import schedules
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import BatchingPlan, BatchJobPlan, StagePlan
from mlopsgen.plan.latency_budget import BatchCost, LatencyBudget
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec

MAX_BATCH_SIZE = 1024
BATCH_WINDOW_SHARE = 0.5
"""A batch job plans to finish in half its window, so one failed attempt can be retried."""

_BATCHING = ("serving", "batching")


def floor_power_of_two(value: float) -> int:
    """Largest power of two not above ``value`` (at least 1): kernels like aligned batches."""
    return 1 if value < 2 else 2 ** math.floor(math.log2(value))


def plan_batching(
    spec: Spec, rec: Recorder, stages: tuple[StagePlan, ...], budget: LatencyBudget
) -> BatchingPlan:
    """Batch size for the batchable model stages, within the window the latency budget gives."""
    spec_batching = spec.serving.batching
    batched = [s for s in stages if s.batchable]
    cost = budget.cost
    if not stages or cost is None:
        why = "no real-time path" if not stages else "no batchable model on the path"
        if not spec_batching.enabled:
            why = "disabled in the spec"
        elif budget.unbatched_reason is not None:
            why = budget.unbatched_reason
        rec.add(
            "serving.batching.enabled",
            False,
            formula="spec batching.enabled and a batchable model on the path",
            computed=f"{why} → false",
            inputs={"enabled": spec_batching.enabled, "batchable_stages": len(batched)},
            sources=[_BATCHING],
            reason="requests are served one by one",
        )
        return BatchingPlan(
            enabled=False, max_batch_size=None, max_latency_ms=None, batched_models=()
        )
    window = budget.window_ms
    size = _size(spec, rec, cost, window)
    return BatchingPlan(
        enabled=True,
        max_batch_size=size,
        max_latency_ms=window,
        batched_models=tuple(s.name.removeprefix("model:") for s in batched),
    )


def _size(spec: Spec, rec: Recorder, cost: BatchCost, window: float) -> int:
    fits = 1 + max(0.0, (window / 2 - cost.one_row_ms) / cost.row_ms) if cost.row_ms else 1.0
    derived = min(MAX_BATCH_SIZE, floor_power_of_two(fits))
    stated = spec.serving.batching.max_batch_size
    size = stated if stated is not None else derived
    rec.add(
        "serving.batching.max_batch_size",
        size,
        unit="requests",
        formula="pow2_floor(1 + (window/2 − S_batched) / c), ≤ 1024, unless stated; "
        "c = Σ workers × share / rps of each batched stage",
        computed=[
            f"pow2_floor(1 + ({fmt(window / 2)} − {fmt(cost.one_row_ms)}) / "
            f"{fmt(cost.row_ms)}) = pow2_floor({fmt(fits)}) = {derived}"
        ]
        + ([] if stated is None else [f"stated in the spec: {stated}"]),
        inputs={
            "window_ms": window,
            "batched_one_row_ms": clean(cost.one_row_ms),
            "batched_row_ms": cost.row_ms,
            "workers": cost.workers,
        },
        sources=[("slo", "latency_p95_ms"), (*_BATCHING, "max_batch_size")],
        reason="the largest aligned batch one worker executes within half the window, leaving "
        "the other half for the batch to fill",
    )
    return size


def plan_batch_job(spec: Spec, rec: Recorder, models: tuple[ModelPlan, ...]) -> BatchJobPlan | None:
    """Batch workers (pods shaped like a serving replica) to finish in half the window."""
    batch = spec.serving.batch
    if batch is None:
        return None
    by_name = {m.name: m for m in models}
    path = [by_name[n] for n in spec.serving.models]
    rate = 1 / sum(1 / m.calibration.per_replica_rps for m in path)
    window_s = batch.window_minutes * 60
    rows = batch.rows_per_run
    workers = (
        1 if rows is None else max(1, math.ceil(rows / (rate * window_s * BATCH_WINDOW_SHARE)))
    )
    expected = None if rows is None else clean(rows / (workers * rate) / 60)
    cron = schedules.cadence_cron(batch.schedule)
    rec.add(
        "serving.batch.workers",
        workers,
        unit="workers",
        formula="ceil(rows_per_run / (rows_per_s_per_worker × window_s × 0.5))",
        computed=[
            f"ceil({rows} / ({fmt(rate)} × {fmt(window_s)} × 0.5)) = {workers}",
            f"run time ≈ {fmt(expected)} min",
        ],
        inputs={"rows_per_run": rows, "rows_per_s_per_worker": clean(rate), "window_s": window_s},
        sources=[("serving", "batch")],
        reason="finishing in half the window leaves time to retry one failed attempt",
    )
    return BatchJobPlan(
        cron=cron,
        window_minutes=batch.window_minutes,
        output_uri=batch.output_uri,
        rows_per_run=rows,
        rows_per_second_per_worker=clean(rate),
        workers=workers,
        expected_minutes=expected,
        runs_per_month=clean(schedules.runs_per_month(cron)),
    )
