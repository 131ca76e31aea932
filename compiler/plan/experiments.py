# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""How large and how long each A/B experiment must be to detect the effect it asks for.

Two-proportion z-test, two-sided: n per arm = (z₁₋α/₂ + z_power)² · [p₁(1−p₁) + p₂(1−p₂)] / δ²
with p₂ = p₁(1 + MDE) and δ = p₂ − p₁. The smallest arm fills slowest, so it sets the
duration: days = n / (daily units × traffic share × its split share), rounded up to whole
weeks so every weekday is equally represented (weekly seasonality would otherwise bias the
lift). The result can only be read once labels arrive, so the read-out adds the label delay
of the source the experiment's unit comes from. Assignment is sticky: the unit id is hashed
with the experiment's name as salt, so two experiments never share a split.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from mlopsgen.plan.ir.serving import ExperimentPlan, VariantPlan
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.serving import Experiment

_NORMAL = NormalDist()
_Path = tuple[str | int, ...]


def z_score(quantile: float) -> float:
    """The standard normal quantile (1.959964 for 0.975, 0.841621 for 0.8)."""
    return _NORMAL.inv_cdf(quantile)


def sample_size_per_arm(p1: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units per arm to detect a relative change ``mde`` of a rate ``p1``.

    Raises:
        ValueError: the treated rate p₁(1 + MDE) is not a probability.
    """
    p2 = p1 * (1 + mde)
    if not 0 < p2 < 1:
        raise ValueError(f"baseline {p1:g} × (1 + {mde:g}) = {p2:g} is not a rate in (0, 1)")
    z_sum = z_score(1 - alpha / 2) + z_score(power)
    variance = p1 * (1 - p1) + p2 * (1 - p2)
    return math.ceil(round(z_sum**2 * variance / (p2 - p1) ** 2, 6))


def days_for(n: int, daily_units: float, traffic_share: float, arm_share: float) -> float:
    """Days for an arm receiving ``arm_share`` of ``traffic_share`` of units to reach n."""
    return n / (daily_units * traffic_share * arm_share)


def whole_weeks(days: float) -> int:
    """Days rounded up to whole weeks (at least one week)."""
    return max(1, math.ceil(round(days / 7, 9))) * 7


def _label_delay(spec: Spec, unit: str) -> float:
    delays = [s.label_delay_days for s in spec.data.sources if s.label and unit in s.schema_]
    return max(delays, default=0.0)


def _daily_units(spec: Spec, exp: Experiment, average_rps: float) -> int:
    if exp.daily_units is not None:
        return exp.daily_units
    return round(spec.slo.throughput.requests_per_day or average_rps * 86400)


def _sample_size(rec: Recorder, name: str, where: _Path, exp: Experiment) -> tuple[int, float]:
    """n per arm and the treated rate p2 (E505 when p2 is not a rate)."""
    p1, mde = exp.baseline_rate, exp.minimum_detectable_effect
    p2 = p1 * (1 + mde)
    if not 0 < p2 < 1:
        rec.fail(
            "E505",
            f"experiment {exp.name}: baseline {fmt(p1)} × (1 + {fmt(mde)}) = {fmt(p2)} "
            "is not a rate",
            (*where, "minimum_detectable_effect"),
            hint="the minimum detectable effect is relative: 0.05 means 5 % of the baseline",
        )
        p2 = min(max(p2, 1e-9), 1 - 1e-9)
        mde = p2 / p1 - 1
    z_a, z_b = z_score(1 - exp.alpha / 2), z_score(exp.power)
    n = sample_size_per_arm(p1, mde, exp.alpha, exp.power)
    variance = p1 * (1 - p1) + p2 * (1 - p2)
    rec.add(
        f"{name}.sample_size_per_arm",
        n,
        unit="units",
        formula="n = (z_{1−α/2} + z_power)² × [p1(1−p1) + p2(1−p2)] / (p2 − p1)², p2 = p1(1+mde)",
        computed=f"({fmt(z_a, 6)} + {fmt(z_b, 6)})² × {fmt(variance, 6)} / "
        f"{fmt(p2 - p1, 6)}² = {n}",
        inputs={"p1": p1, "p2": clean(p2), "alpha": exp.alpha, "power": exp.power, "mde": mde},
        sources=[(*where, "baseline_rate"), (*where, "minimum_detectable_effect")],
        reason=f"two-sided z-test on {exp.metric}: the smallest sample that detects the effect",
    )
    return n, p2


def _duration(
    rec: Recorder, name: str, where: _Path, exp: Experiment, n: int, daily: int
) -> tuple[str, float, int]:
    """The slowest-filling arm, the days it needs, and that rounded up to whole weeks."""
    traffic = exp.traffic_percent / 100
    limiting = min(sorted(exp.split), key=lambda arm: exp.split[arm])
    arm_share = exp.split[limiting] / sum(exp.split.values())
    needed = days_for(n, daily, traffic, arm_share)
    duration = whole_weeks(needed)
    rec.add(
        f"{name}.duration_days",
        duration,
        unit="days",
        formula="whole_weeks(n / (daily_units × traffic_share × smallest_arm_share))",
        computed=f"weeks({n} / ({daily} × {fmt(traffic)} × {fmt(arm_share)}) = "
        f"{fmt(needed)} d) = {duration}",
        inputs={"daily_units": daily, "traffic_share": traffic, "arm": limiting},
        sources=[(*where, "daily_units"), (*where, "split"), (*where, "traffic_percent")],
        reason=f"arm {limiting!r} fills slowest; whole weeks balance weekday effects",
    )
    return limiting, needed, duration


def _readout(
    spec: Spec, rec: Recorder, name: str, where: _Path, exp: Experiment, duration: int
) -> tuple[float, float]:
    """Label delay and read-out day; W504 when it falls after max_duration_days."""
    delay = _label_delay(spec, exp.unit)
    readout = clean(duration + delay)
    rec.add(
        f"{name}.readout_days",
        readout,
        unit="days",
        formula="duration_days + label_delay_days",
        computed=f"{duration} + {fmt(delay)} = {fmt(readout)} (max {exp.max_duration_days})",
        inputs={"duration_days": duration, "label_delay_days": delay},
        sources=[(*where, "max_duration_days"), ("data", "sources")],
        reason="the lift can only be read once the last enrolled unit's label has arrived",
    )
    if readout > exp.max_duration_days:
        rec.warn(
            "W504",
            f"experiment {exp.name} needs {fmt(readout)} days to read out ({duration} running + "
            f"{fmt(delay)} label delay), more than max_duration_days {exp.max_duration_days}",
            (*where, "max_duration_days"),
            hint="raise traffic_percent, balance the split, or accept a larger "
            "minimum_detectable_effect",
        )
    return delay, readout


def plan_experiment(
    spec: Spec, rec: Recorder, index: int, exp: Experiment, average_rps: float
) -> ExperimentPlan:
    """Sample size, duration and read-out day of one experiment."""
    where: _Path = ("serving", "experiments", index)
    name = f"experiments.{exp.name}"
    n, p2 = _sample_size(rec, name, where, exp)
    daily = _daily_units(spec, exp, average_rps)
    limiting, needed, duration = _duration(rec, name, where, exp, n, daily)
    delay, readout = _readout(spec, rec, name, where, exp, duration)
    return ExperimentPlan(
        name=exp.name,
        unit=exp.unit,
        metric=exp.metric,
        direction=next((m.direction for m in spec.business.metrics if m.name == exp.metric), None),
        salt=exp.name,
        baseline_rate=exp.baseline_rate,
        treatment_rate=clean(p2),
        minimum_detectable_effect=exp.minimum_detectable_effect,
        alpha=exp.alpha,
        power=exp.power,
        variants=_variants(exp, sum(exp.split.values())),
        traffic_percent=exp.traffic_percent,
        daily_units=daily,
        sample_size_per_arm=n,
        limiting_arm=limiting,
        days_needed=clean(needed),
        duration_days=duration,
        label_delay_days=delay,
        readout_days=readout,
        max_duration_days=exp.max_duration_days,
        fits=readout <= exp.max_duration_days,
    )


def _variants(exp: Experiment, total_split: float) -> tuple[VariantPlan, ...]:
    return tuple(
        VariantPlan(
            name=arm,
            model=variant.model,
            stage=variant.stage,
            ensemble=dict(sorted(variant.ensemble.items())) if variant.ensemble else None,
            description=variant.description,
            split_percent=clean(exp.split.get(arm, 0) * 100 / total_split),
        )
        for arm, variant in sorted(exp.variants.items())
    )
