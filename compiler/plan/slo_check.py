# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Is the latency SLO reachable? Diagnostics that name the fix when it is not (W501, E501/2).

When ρ = 1 − ln(20)·S/p95 falls under about 0.3, replicas spend most of their time idle to
keep the tail short: the model is too slow for the budget and buying replicas is the wrong
fix. The diagnostic names the slowest stage and the changes that shorten S for this spec:
adaptive batching, a GPU, quantisation, a smaller model, or a measured calibration. It is an
error when ρ ≤ 0 (no number of replicas meets the SLO), and says so more bluntly when even the
fastest configuration of every model would not fit.
"""

from __future__ import annotations

from mlopsgen.plan.capacity import LN20, RHO_LOW, fastest_service_time_ms, utilisation_raw
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.record import Recorder, fmt
from mlopsgen.spec.models.root import Spec

_P95 = ("slo", "latency_p95_ms")


def fixes(spec: Spec, models: tuple[ModelPlan, ...]) -> list[str]:
    """Changes to this spec that shorten the path's service time, most effective first."""
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
    out.append("or load-test the service and set the measured calibration")
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
) -> None:
    """Report a latency SLO that is barely (W501) or not at all (E501, E502) reachable."""
    p95 = spec.slo.latency_p95_ms
    if p95 is None or not stages:
        return
    raw = utilisation_raw(service_ms, p95)
    if raw >= RHO_LOW:
        return
    slowest = max(stages, key=lambda s: s.service_time_ms)
    detail = (
        f"ρ = 1 − ln(20) × {fmt(service_ms)} / {fmt(p95)} = {fmt(raw)}: the path's service "
        f"time leaves little of the {fmt(p95)} ms p95 budget (slowest: {slowest.name}, "
        f"{fmt(slowest.service_time_ms)} ms)"
    )
    hint = "; ".join(fixes(spec, models))
    best = best_case_ms(spec, models, stages)
    if utilisation_raw(best, p95) <= 0:
        rec.fail(
            "E501",
            f"the latency SLO cannot be met even with GPUs, int8 and small models: best-case "
            f"S = {fmt(best)} ms needs a p95 of at least {fmt(LN20 * best / RHO_LOW)} ms",
            _P95,
            hint="relax latency_p95_ms, or remove stages from the request path",
        )
    elif raw <= 0:
        rec.fail("E502", f"the latency SLO cannot be met as specified: {detail}", _P95, hint)
    else:
        rec.warn("W501", f"low target utilisation: {detail}", _P95, hint)
