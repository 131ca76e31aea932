"""Segment saturation: how often the arms decide differently, and what it costs in sample.

When a new model agrees with the old one on almost every request, only the requests where
their decisions differ (the *triggered* ones) can show an effect; everywhere else both arms
give the same answer, so the effect there is zero. The service scores a sample of requests
(of every arm alike, so triggering does not depend on the arm) with both arms' models and
logs whether they differ; the measured disagreement rate r says how much the effect is
diluted.

Read the plan's effect δ as the effect on triggered requests (n below is the plan's sample
before any dilution: ``triggered_sample_size_per_arm``, which differs from
``sample_size_per_arm`` when the spec states an expected disagreement). Over the whole population the
effect is then δ·r while the metric's variance stays about what the plan assumed, and since
n ∝ σ²/δ² the whole-population analysis needs n / r² units per arm (r = 2 % → 2 500 × n).
The triggered analysis keeps δ and needs n triggered units per arm, which takes enrolling
about n / r units per arm (a unit sending one request triggers with probability r; a unit
with many requests triggers more often, so n / r is an upper bound). Durations follow the
plan's rule: units / (daily units × traffic share × smallest arm's share), whole weeks, plus
the label delay before the read-out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.experiments.design import ExperimentDesign

__all__ = ["SATURATED_BELOW", "Requirement", "Saturation", "requirement", "saturation"]

#: Below this disagreement rate the whole-population effect is diluted more than tenfold,
#: so detecting it takes more than a hundred times the planned sample: the arms are saturated.
SATURATED_BELOW = 0.10


@dataclass(frozen=True)
class Requirement:
    """Units per arm an analysis needs at the measured rate, and how long they take."""

    population: str
    effect: float
    units_per_arm: int | None
    formula: str
    days_needed: float | None
    duration_days: int | None
    readout_days: float | None
    enrollable_units: int | None
    reachable: bool


@dataclass(frozen=True)
class Saturation:
    """The measured disagreement and the sample each analysis needs because of it."""

    sampled_requests: int
    sampled_units: int
    differing_requests: int
    rate: float
    rate_ci: tuple[float, float]
    saturated: bool
    whole: Requirement
    triggered: Requirement
    expected: float | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a reader must not miss: saturation and analyses that cannot finish."""
        out = []
        if self.saturated:
            out.append(
                f"saturated: the arms disagree on {self.rate:.2%} of requests (below "
                f"{SATURATED_BELOW:.0%}); the whole-population metric can hardly move"
            )
        if self.expected is not None and self.rate_ci[1] < self.expected:
            out.append(
                f"the arms disagree less often than planned ({self.rate:.2%} against "
                f"{self.expected:.2%}): the planned sample and duration are too small"
            )
        for need in (self.whole, self.triggered):
            if not need.reachable:
                out.append(
                    f"unreachable: the {need.population} analysis needs "
                    f"{_units(need.units_per_arm)} units per arm, more than the experiment "
                    "can enrol within max_duration_days"
                )
        return tuple(out)


def _units(units: int | None) -> str:
    return "unbounded" if units is None else f"{units:,}"


def _rate(sample: pd.DataFrame, confidence: float) -> tuple[float, tuple[float, float], int]:
    """The per-request disagreement rate with an interval clustered by unit (delta method)."""
    grouped = sample.assign(_d=sample["differs"].astype(float)).groupby("unit")["_d"]
    sums = grouped.sum().to_numpy(dtype=float)
    counts = grouped.count().to_numpy(dtype=float)
    rate = float(sums.sum() / counts.sum())
    units = int(sums.size)
    spread = 0.0
    if units > 1:
        linear = (sums - rate * counts) / counts.mean()
        spread = float(np.sqrt(linear.var(ddof=1) / units))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return rate, (max(rate - z * spread, 0.0), min(rate + z * spread, 1.0)), units


def requirement(design: ExperimentDesign, population: str, rate: float) -> Requirement:
    """Units per arm and duration for the ``whole`` or ``triggered`` analysis at ``rate``."""
    n = design.triggered_sample_size_per_arm
    if population == "whole":
        effect, formula = design.effect * rate, "n / r² (effect diluted to δ·r)"
        needed = math.ceil(round(n / rate**2, 6)) if rate > 0 else None
    else:
        effect, formula = design.effect, "n / r (enrolled to get n triggered units)"
        needed = math.ceil(round(n / rate, 6)) if rate > 0 else None
    share = design.traffic_percent / 100 * design.smallest_arm_share
    enrollable = None
    if design.population is not None:
        enrollable = math.floor(design.population * share)
    if needed is None:
        return Requirement(population, effect, None, formula, None, None, None, enrollable, False)
    days = needed / (design.daily_units * share)
    duration = max(1, math.ceil(round(days / 7, 9))) * 7
    readout = duration + design.label_delay_days
    reachable = readout <= design.max_duration_days and (enrollable is None or needed <= enrollable)
    return Requirement(
        population=population,
        effect=effect,
        units_per_arm=needed,
        formula=formula,
        days_needed=days,
        duration_days=duration,
        readout_days=readout,
        enrollable_units=enrollable,
        reachable=reachable,
    )


def saturation(
    sample: pd.DataFrame, design: ExperimentDesign, confidence: float
) -> Saturation | None:
    """The disagreement report of ``sample``; None when the sample is empty."""
    if sample.empty:
        return None
    rate, interval, units = _rate(sample, confidence)
    return Saturation(
        sampled_requests=len(sample),
        sampled_units=units,
        differing_requests=int(sample["differs"].sum()),
        rate=rate,
        rate_ci=interval,
        saturated=interval[1] < SATURATED_BELOW,
        whole=requirement(design, "whole", rate),
        triggered=requirement(design, "triggered", rate),
        expected=design.expected_disagreement,
    )
