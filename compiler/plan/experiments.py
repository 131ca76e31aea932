# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""How large and how long each A/B experiment must be to detect the effect it asks for.

Sample sizes are counted in the randomisation unit. A rate metric takes the two-sided
two-proportion z-test, n per arm = (z₁₋α/₂ + z_power)² · [p₁(1−p₁) + p₂(1−p₂)] / δ² with
p₂ = p₁ + δ; a mean metric the two-sample test on means, n = 2(z₁₋α/₂ + z_power)²σ²/δ². The
spec states δ as relative (a fraction of the baseline) or absolute (in the metric's unit).
Daily units are stated, or the unit entity's cardinality (every unit active daily, an upper
bound); never the request volume. The smallest arm fills slowest, so it sets the
duration: days = n / (daily units × traffic share × its split share), rounded up to whole
weeks so every weekday is equally represented (weekly seasonality would otherwise bias the
lift). The result can only be read once labels arrive, so the read-out adds the label delay
of the source the experiment's unit comes from. When the spec expects the arms to decide
differently on only a share r of requests, the effect is read as the effect on those, and
the whole population needs n / r² units per arm (the effect diluted to δ·r). Assignment is
sticky: the unit id is hashed with the experiment's name as salt, so two experiments never
share a split.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from mlopsgen.plan.ir.serving import ExperimentPlan, VariantPlan
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.checks.experiments import effect_size
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.serving import Effect, Experiment

_NORMAL = NormalDist()
_Path = tuple[str | int, ...]
#: The disagreement rate assumed when the spec states none (98 % agreement: saturated).
DISAGREEMENT_ASSUMED = 0.02
#: The disagreement rate's 95 % interval half-width, as a share of the rate, a day's sample
#: gives.
DISAGREEMENT_PRECISION = 0.25


def z_score(quantile: float) -> float:
    """The standard normal quantile (1.959964 for 0.975, 0.841621 for 0.8)."""
    return _NORMAL.inv_cdf(quantile)


def sample_size_per_arm(p1: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units per arm to detect an absolute change ``delta`` of a rate ``p1``.

    Raises:
        ValueError: the treated rate p₁ + δ is not a probability.
    """
    p2 = p1 + delta
    if not 0 < p2 < 1:
        raise ValueError(f"baseline {p1:g} + {delta:g} = {p2:g} is not a rate in (0, 1)")
    z_sum = z_score(1 - alpha / 2) + z_score(power)
    variance = p1 * (1 - p1) + p2 * (1 - p2)
    return math.ceil(round(z_sum**2 * variance / delta**2, 6))


def sample_size_for_mean(
    stddev: float, delta: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per arm to detect a change ``delta`` of a mean: 2(z_a + z_b)²σ² / δ²."""
    z_sum = z_score(1 - alpha / 2) + z_score(power)
    return math.ceil(round(2 * z_sum**2 * stddev**2 / delta**2, 6))


def days_for(n: int, daily_units: float, traffic_share: float, arm_share: float) -> float:
    """Days for an arm receiving ``arm_share`` of ``traffic_share`` of units to reach n."""
    return n / (daily_units * traffic_share * arm_share)


def whole_weeks(days: float) -> int:
    """Days rounded up to whole weeks (at least one week)."""
    return max(1, math.ceil(round(days / 7, 9))) * 7


def _label_delay(spec: Spec, unit: str) -> float:
    delays = [s.label_delay_days for s in spec.data.sources if s.label and unit in s.schema_]
    return max(delays, default=0.0)


def _daily_units(spec: Spec, exp: Experiment) -> tuple[int, str, int | None]:
    """Distinct units per day, where the figure came from, and the unit population."""
    entity = next((e for e in spec.features.entities if e.key == exp.unit), None)
    population = entity.cardinality if entity is not None else None
    if exp.daily_units is not None:
        return exp.daily_units, "stated daily_units", population
    if entity is not None:
        return (
            entity.cardinality,
            f"entity {entity.name} cardinality (all active daily)",
            population,
        )
    return 1, "unknown (E332)", population


def _effect(exp: Experiment) -> tuple[str, float, float]:
    """(effect kind, stated number, absolute δ); a bare number is read as relative (E330)."""
    effect = exp.minimum_detectable_effect
    delta = effect_size(exp)
    if isinstance(effect, Effect) and delta is not None:
        kind = "absolute" if effect.absolute is not None else "relative"
        return kind, float(effect.absolute or effect.relative or 0), delta
    baseline = exp.baseline_rate if exp.baseline_rate is not None else exp.baseline_mean
    stated = float(effect) if not isinstance(effect, Effect) else 0.0
    return "relative", stated, abs(baseline or 0) * stated


def _sample_size(
    rec: Recorder, name: str, where: _Path, exp: Experiment
) -> tuple[int, str, float, float, tuple[str, float, float]]:
    """n per arm, the metric kind, baseline, treated value and effect (E505: not a rate)."""
    kind, stated, delta = _effect(exp)
    z_a, z_b = z_score(1 - exp.alpha / 2), z_score(exp.power)
    effect_path = (*where, "minimum_detectable_effect")
    if exp.baseline_rate is None:
        mean, sigma = exp.baseline_mean or 0.0, exp.baseline_stddev or 1.0
        delta = delta or sigma
        n = sample_size_for_mean(sigma, delta, exp.alpha, exp.power)
        rec.add(
            f"{name}.sample_size_per_arm",
            n,
            unit="units",
            formula="n = 2 (z_{1−α/2} + z_power)² σ² / δ² (difference of two means)",
            computed=f"2 × ({fmt(z_a, 6)} + {fmt(z_b, 6)})² × {fmt(sigma, 6)}² / "
            f"{fmt(delta, 6)}² = {n}",
            inputs={"mean": mean, "stddev": sigma, "delta": clean(delta), "effect": kind},
            sources=[(*where, "baseline_mean"), (*where, "baseline_stddev"), effect_path],
            reason=f"two-sided z-test on the mean of {exp.metric} per {exp.unit}; δ is the "
            f"{kind} effect {fmt(stated)} in the metric's unit",
        )
        return n, "mean", mean, mean + delta, (kind, stated, delta)
    p1 = exp.baseline_rate
    p2 = p1 + delta
    if not 0 < p2 < 1:
        rec.fail(
            "E505",
            f"experiment {exp.name}: baseline {fmt(p1)} + {fmt(delta)} = {fmt(p2)} is not a rate",
            effect_path,
            hint="keep the treated rate between 0 and 1",
        )
        p2 = min(max(p2, 1e-9), 1 - 1e-9)
        delta = p2 - p1
    n = sample_size_per_arm(p1, delta, exp.alpha, exp.power)
    variance = p1 * (1 - p1) + p2 * (1 - p2)
    rec.add(
        f"{name}.sample_size_per_arm",
        n,
        unit="units",
        formula="n = (z_{1−α/2} + z_power)² × [p1(1−p1) + p2(1−p2)] / (p2 − p1)², p2 = p1 + δ",
        computed=f"({fmt(z_a, 6)} + {fmt(z_b, 6)})² × {fmt(variance, 6)} / {fmt(delta, 6)}² = {n}",
        inputs={"p1": p1, "p2": clean(p2), "alpha": exp.alpha, "power": exp.power, "effect": kind},
        sources=[(*where, "baseline_rate"), effect_path],
        reason=f"two-sided two-proportion z-test on {exp.metric}; δ = {fmt(delta)} from the "
        f"{kind} effect {fmt(stated)}",
    )
    return n, "rate", p1, p2, (kind, stated, delta)


def _diluted(rec: Recorder, name: str, where: _Path, exp: Experiment, n: int) -> int:
    """Units per arm over the whole population when only some requests can differ.

    The stated effect δ is read as the effect where the arms decide differently (a share r
    of requests); over everyone it is δ·r, and since n grows as 1/δ², the whole population
    needs n / r² units per arm.
    """
    if exp.expected_disagreement_percent is None:
        return n
    rate = exp.expected_disagreement_percent / 100
    diluted = math.ceil(round(n / rate**2, 6))
    rec.add(
        f"{name}.diluted_sample_size_per_arm",
        diluted,
        unit="units",
        formula="n_whole = n_triggered / r² (effect δ·r over everyone, n ∝ 1/δ²)",
        computed=f"{n} / {fmt(rate)}² = {diluted}",
        inputs={"n_triggered": n, "disagreement": rate},
        sources=[(*where, "expected_disagreement_percent"), (*where, "minimum_detectable_effect")],
        reason=f"the arms are expected to differ on {fmt(exp.expected_disagreement_percent)} % "
        "of requests; elsewhere both give the same answer, so the effect there is zero",
    )
    return diluted


def _disagreement_sample(
    spec: Spec, rec: Recorder, name: str, where: _Path, exp: Experiment
) -> float:
    """The share of enrolled requests the service also scores with the other arm.

    Enough of them, per day, to measure the disagreement rate r within a quarter of itself
    at 95 %: n = z² (1 − r) / (0.25² r), r the spec's expected rate or 2 % (an experiment
    whose arms agree on 98 % of requests is the saturated case the read-out warns about).
    """
    rate = (exp.expected_disagreement_percent or DISAGREEMENT_ASSUMED * 100) / 100
    z = z_score(0.975)
    rows = math.ceil(z**2 * (1 - rate) / (DISAGREEMENT_PRECISION**2 * rate))
    throughput = spec.slo.throughput
    per_day = throughput.requests_per_day or (throughput.peak_rps or 0.0) * 86400 / (
        throughput.peak_to_average
    )
    enrolled = per_day * exp.traffic_percent / 100
    fraction = 1.0 if enrolled <= rows else float(f"{rows / enrolled:.4g}")
    rec.add(
        f"{name}.disagreement_sample_fraction",
        fraction,
        formula="min(1, z² (1 − r) / (0.25² r) / enrolled requests per day)",
        computed=f"min(1, {rows} / {fmt(enrolled)}) = {fmt(fraction)}",
        inputs={"disagreement": rate, "enrolled_per_day": clean(enrolled), "rows": rows},
        sources=[(*where, "traffic_percent"), ("slo", "throughput")],
        reason="a day's sample measures how often the arms decide differently to within a "
        "quarter of the rate: the read-out's saturation check and triggered analysis use it",
    )
    return fraction


def _duration(
    rec: Recorder, name: str, where: _Path, exp: Experiment, n: int, daily: int, origin: str
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
        reason=f"arm {limiting!r} fills slowest; whole weeks balance weekday effects; "
        f"daily units from {origin}, counted in {exp.unit}, never in requests",
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


def _population_check(
    rec: Recorder, where: _Path, exp: Experiment, n: int, daily: int, population: int | None
) -> None:
    """W522 when the smallest arm cannot enrol n distinct units within max_duration_days."""
    reach = daily * exp.max_duration_days
    if population is not None:
        reach = min(reach, population)
    arm_share = min(exp.split.values()) / sum(exp.split.values())
    available = math.floor(reach * exp.traffic_percent / 100 * arm_share)
    if n > available:
        rec.warn(
            "W522",
            f"experiment {exp.name} needs {n} {exp.unit} per arm, but its smallest arm can enrol "
            f"only {available} distinct units in {exp.max_duration_days} days (population "
            f"{min(reach, population or reach)})",
            (*where, "minimum_detectable_effect"),
            hint="detect a larger effect, raise traffic_percent or balance the split; units "
            "return every day, so more days do not add new ones past the population",
        )


def plan_experiment(spec: Spec, rec: Recorder, index: int, exp: Experiment) -> ExperimentPlan:
    """Sample size in the randomisation unit, duration and read-out day of one experiment."""
    where: _Path = ("serving", "experiments", index)
    name = f"experiments.{exp.name}"
    triggered, kind, baseline, treated, (effect_kind, stated, delta) = _sample_size(
        rec, name, where, exp
    )
    n = _diluted(rec, name, where, exp, triggered)
    daily, origin, population = _daily_units(spec, exp)
    limiting, needed, duration = _duration(rec, name, where, exp, n, daily, origin)
    _population_check(rec, where, exp, n, daily, population)
    delay, readout = _readout(spec, rec, name, where, exp, duration)
    return ExperimentPlan(
        name=exp.name,
        unit=exp.unit,
        metric=exp.metric,
        direction=next((m.direction for m in spec.business.metrics if m.name == exp.metric), None),
        salt=exp.name,
        metric_kind=kind,
        baseline=baseline,
        baseline_stddev=exp.baseline_stddev,
        effect_kind=effect_kind,
        minimum_detectable_effect=stated,
        effect=clean(delta),
        treatment=clean(treated),
        alpha=exp.alpha,
        power=exp.power,
        variants=_variants(exp, sum(exp.split.values())),
        traffic_percent=exp.traffic_percent,
        daily_units=daily,
        daily_units_from=origin,
        population=population,
        sample_size_per_arm=n,
        expected_disagreement=(
            clean(exp.expected_disagreement_percent / 100)
            if exp.expected_disagreement_percent is not None
            else None
        ),
        triggered_sample_size_per_arm=triggered,
        disagreement_sample_fraction=_disagreement_sample(spec, rec, name, where, exp),
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
