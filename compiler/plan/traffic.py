# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""The daily traffic profile, and the serving fleet the autoscaler keeps over it.

The spec gives a peak and an average rate, not a curve. The plan assumes a diurnal
raised-cosine profile over 96 quarter-hours, λ(t) = trough + A · s(t)^k with
s(t) = (1 + cos 2πt/24 h) / 2, whose maximum is the peak and whose mean is the average:
k = 1 (a sine wave) while the peak is at most twice the average, else the smallest k
whose trough is zero (a sharper peak over a quiet night). A peak at or under the average
is a flat day. The fleet at each quarter-hour is what the HPA would keep there: the
replicas that carry λ(t) at the target utilisation, spread so a zone can be lost (as at
peak), within the HPA's floor and ceiling, packed on whole nodes per zone. The month's
serving cost is the mean of that fleet, not its floor (the quiet hour) nor its peak.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from mlopsgen.plan.capacity import replicas_needed, replicas_per_zone

STEPS = 96
"""Quarter-hours per day: the profile's resolution."""


def _shape(k: float) -> tuple[float, ...]:
    return tuple(((1 + math.cos(2 * math.pi * i / STEPS)) / 2) ** k for i in range(STEPS))


def _mean(k: float) -> float:
    return sum(_shape(k)) / STEPS


@functools.lru_cache(maxsize=4096)
def exponent(ratio: float) -> float:
    """k of the profile for peak / average: 1 up to a ratio of 2, else trough = 0."""
    if ratio <= 2:
        return 1.0
    if ratio >= STEPS:
        return math.inf
    low, high = 1.0, 1.0
    while 1 / _mean(high) < ratio:
        low, high = high, high * 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if 1 / _mean(middle) < ratio else (low, middle)
    return high


@dataclass(frozen=True)
class Profile:
    """Requests per second at each quarter-hour of a day, and how it was shaped."""

    rates: tuple[float, ...]
    exponent: float
    trough: float

    @property
    def mean(self) -> float:
        """Mean rate over the day (the average it was built from)."""
        return sum(self.rates) / len(self.rates)


def profile(peak: float, average: float) -> Profile:
    """The day's rates: maximum ``peak``, mean ``average`` (flat when peak ≤ average)."""
    if peak <= average or average <= 0:
        level = max(average, 0.0)
        return Profile(rates=(level,) * STEPS, exponent=0.0, trough=level)
    k = exponent(round(peak / average, 9))
    if math.isinf(k):
        rest = max(0.0, (STEPS * average - peak) / (STEPS - 1))
        return Profile(rates=(peak, *([rest] * (STEPS - 1))), exponent=k, trough=rest)
    mean = _mean(k)
    amplitude = (peak - average) / (1 - mean)
    trough = max(0.0, peak - amplitude)
    rates = tuple(trough + amplitude * s for s in _shape(k))
    return Profile(rates=rates, exponent=k, trough=trough)


@dataclass(frozen=True)
class Fleet:
    """Serving nodes over the day: the floor, the traffic-weighted mean and the peak."""

    floor_nodes: int
    expected_nodes: float
    peak_nodes: int
    expected_replicas: float


def nodes_for(replicas: int, zones: int, per_node: int) -> int:
    """Whole nodes per zone for ``replicas`` spread evenly over the zones."""
    return zones * math.ceil(replicas / zones / max(per_node, 1))


def fleet(
    day: Profile,
    replica_rps: float,
    rho: float,
    spread: tuple[int, int],
    bounds: tuple[int, int, int],
    per_node: int,
) -> Fleet:
    """The HPA's fleet at each quarter-hour, as nodes: floor, mean and the planned peak.

    ``spread`` is (zones, spare per zone); ``bounds`` is (HPA floor, HPA ceiling, planned
    peak replicas).
    """
    zones, spare = spread
    low, high, peak = bounds
    counts = []
    for rate in day.rates:
        need = replicas_needed(rate, replica_rps, rho) if rate > 0 else 0
        at = replicas_per_zone(need, zones, spare) * zones if need else 0
        counts.append(min(max(at, low), high))
    nodes = [nodes_for(c, zones, per_node) for c in counts]
    return Fleet(
        floor_nodes=nodes_for(low, zones, per_node),
        expected_nodes=sum(nodes) / len(nodes),
        peak_nodes=nodes_for(max(peak, low), zones, per_node),
        expected_replicas=sum(counts) / len(counts),
    )
