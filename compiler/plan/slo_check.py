# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Is the latency SLO reachable? Diagnostics that name the fix when it is not (W501, E501/2).

When ρ = 1 − ln(20)·S/p95 falls under about 0.3, replicas spend most of their time idle to
keep the tail short: the model is too slow for the budget and buying replicas is the wrong
fix. The diagnostic names the slowest stage and the changes that shorten S for this spec:
adaptive batching, a GPU, quantisation, a smaller model, or a measured calibration (for
figures still taken from the table). The budget is the p95 less the batching window. It is
an error when ρ < 0.05 (no sensible number of replicas meets the SLO), says plainly when the
p95 is below one request's service time, and says so more bluntly still when even the fastest
configuration of every model would not fit.
"""

from __future__ import annotations

import math

from mlopsgen.plan.capacity import (
    LN20,
    RHO_FLOOR,
    RHO_LOW,
    fastest_service_time_ms,
    utilisation_raw,
)
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.latency_budget import LatencyBudget
from mlopsgen.plan.record import Recorder, fmt
from mlopsgen.spec.models.root import Spec

_P95 = ("slo", "latency_p95_ms")


def fixes(spec: Spec, models: tuple[ModelPlan, ...]) -> list[str]:
    """Changes to this spec that shorten the path's service time, most effective first.

    A measured calibration is suggested only for models still planned from the table: a
    figure the spec already measured would not change by measuring it again.
    """
    path = [m for m in models if m.name in spec.serving.models]
    out = []
    if not spec.serving.batching.enabled:
        out.append("enable adaptive batching (serving.batching.enabled: true)")
    for m in path:
        if m.framework == "pytorch" and m.calibration.device == "cpu":
            out.append(f"serve {m.name} on a GPU (gpu.serving: 1)")
        if m.framework == "pytorch" and m.quantization == "none":
            out.append(f"quantize {m.name} (optimization.quantization: int8)")
    out += [f"use a smaller {m.name} (size: small)" for m in path if m.size != "small"]
    guessed = [m.name for m in path if m.calibration.origin == "table"]
    if guessed:
        out.append(
            f"or load-test the service and set the measured calibration of {', '.join(guessed)}"
        )
    return out


def best_case_ms(spec: Spec, models: tuple[ModelPlan, ...], stages: tuple[StagePlan, ...]) -> float:
    """S of the path with every model in its fastest configuration."""
    by_name = {m.name: m for m in models}
    total = 0.0
    for stage in stages:
        if stage.kind == "model":
            model = by_name[stage.name.removeprefix("model:")]
            best = fastest_service_time_ms(model.framework, model.task)
            total += min(best, stage.service_time_ms)
        else:
            total += stage.service_time_ms
    return total


def check_slo(
    spec: Spec,
    rec: Recorder,
    models: tuple[ModelPlan, ...],
    stages: tuple[StagePlan, ...],
    service_ms: float,
    budget: LatencyBudget,
) -> None:
    """Report a latency SLO that is barely (W501) or not at all (E501, E502) reachable."""
    p95 = spec.slo.latency_p95_ms
    left = budget.queue_budget_ms
    if p95 is None or left is None or not stages:
        return
    queued = budget.queued_service_ms
    raw = utilisation_raw(queued, max(left, 1e-3))
    if raw >= RHO_LOW:
        return
    slowest = max(stages, key=lambda s: s.service_time_ms)
    window = f" after the {fmt(budget.window_ms)} ms batching window" if budget.window_ms else ""
    detail = (
        f"ρ = 1 − ln(20) × {fmt(queued)} / {fmt(left)} = {fmt(raw)}: the path's service "
        f"time leaves little of the {fmt(left)} ms left of the p95{window} (slowest: "
        f"{slowest.name}, {fmt(slowest.service_time_ms)} ms)"
    )
    needed = LN20 * queued / (1 - RHO_LOW) + budget.window_ms
    hints = fixes(spec, models)
    best = best_case_ms(spec, models, stages)
    if utilisation_raw(best, p95) <= 0:
        rec.fail(
            "E501",
            f"the latency SLO cannot be met even with GPUs, int8 and small models: best-case "
            f"S = {fmt(best)} ms needs a p95 of at least {fmt(LN20 * best / RHO_LOW)} ms",
            _P95,
            hint="relax latency_p95_ms, or remove stages from the request path",
        )
    elif service_ms >= p95:
        rec.fail(
            "E502",
            f"the p95 of {fmt(p95)} ms is below the time one request takes: "
            f"{fmt(service_ms)} ms (slowest: {slowest.name}, {fmt(slowest.service_time_ms)} ms)",
            _P95,
            "; ".join([f"relax latency_p95_ms to at least {fmt(math.ceil(needed))}", *hints]),
        )
    elif queued >= left:
        rec.fail(
            "E502",
            f"the batching window of {fmt(budget.window_ms)} ms leaves {fmt(left)} ms of the "
            f"{fmt(p95)} ms p95, less than the time one request takes: {fmt(service_ms)} ms",
            ("serving", "batching", "max_latency_ms"),
            "remove serving.batching.max_latency_ms to let the plan derive the window",
        )
    elif raw < RHO_FLOOR:
        rec.fail(
            "E502",
            f"the latency SLO cannot be met as specified: {detail}",
            _P95,
            "; ".join([*hints, f"or relax latency_p95_ms to at least {fmt(math.ceil(needed))}"]),
        )
    else:
        rec.warn("W501", f"low target utilisation: {detail}", _P95, "; ".join(hints))
