"""The drift statistics: how far a window of one input has moved from its reference.

Each method compares a window with the reference the production model was trained on, in
the units the spec's bands are written in:

* ``psi``: the population stability index, ``sum((q - p) ln(q / p))`` over bins. A number is
  binned at the reference's deciles (``bins`` quantile bins, so each holds about the same
  share of the reference), a category is a bin of its own. An empty bin's share is raised to
  :data:`FLOOR` so a category the reference never saw scores high instead of infinite.
* ``jensen_shannon``: the Jensen-Shannon distance with the natural log (the square root of
  the divergence, between 0 and ``sqrt(ln 2)``) over the same bins.
* ``ks``: the two-sample Kolmogorov-Smirnov statistic, the largest gap between the two
  empirical distribution functions.
* ``wasserstein``: the earth mover's distance between the two samples, in reference standard
  deviations, so one band fits inputs of any unit.

A category has no order, so ``ks`` and ``wasserstein`` score it by the total variation
distance ``sum(|q - p|) / 2``: the largest gap between the two shares of any set of
categories (what KS takes over half-lines only), and the Wasserstein distance under the
metric where two different categories are one apart. Nulls are dropped from numbers and are
a category of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "FLOOR",
    "METHODS",
    "category_score",
    "jensen_shannon",
    "ks_statistic",
    "numeric_score",
    "psi",
    "quantile_edges",
    "total_variation",
    "wasserstein_in_sd",
]

METHODS = ("psi", "ks", "jensen_shannon", "wasserstein")
#: The share an empty bin is given in PSI (a tenth of a per cent of the rows).
FLOOR = 1e-3
Floats = npt.NDArray[np.float64]


def _shares(counts: Floats) -> Floats:
    total = counts.sum()
    return counts / total if total else counts


def psi(reference_counts: Floats, window_counts: Floats) -> float:
    """The population stability index of two histograms over the same bins."""
    p = np.maximum(_shares(reference_counts), FLOOR)
    q = np.maximum(_shares(window_counts), FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(reference_counts: Floats, window_counts: Floats) -> float:
    """The Jensen-Shannon distance (natural log) of two histograms over the same bins."""
    p = _shares(reference_counts)
    q = _shares(window_counts)
    m = (p + q) / 2

    def divergence(a: Floats) -> float:
        used = a > 0
        return float(np.sum(a[used] * np.log(a[used] / m[used])))

    return math.sqrt(max((divergence(p) + divergence(q)) / 2, 0.0))


def total_variation(reference_counts: Floats, window_counts: Floats) -> float:
    """Half the sum of the shares' absolute differences (see the module docstring)."""
    return float(np.sum(np.abs(_shares(window_counts) - _shares(reference_counts))) / 2)


def quantile_edges(reference: Floats, bins: int) -> Floats:
    """The inner edges of ``bins`` reference-quantile bins (fewer when values repeat)."""
    inner = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(inner)


def _histogram(values: Floats, edges: Floats) -> Floats:
    """Counts per bin: below the first edge, between edges, from the last edge on."""
    index = np.searchsorted(edges, values, side="right")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.float64)


def _cdfs(reference: Floats, window: Floats) -> tuple[Floats, Floats, Floats]:
    """Both empirical distribution functions at every value either sample holds."""
    a, b = np.sort(reference), np.sort(window)
    points = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return points, cdf_a, cdf_b


def ks_statistic(reference: Floats, window: Floats) -> float:
    """The two-sample Kolmogorov-Smirnov statistic."""
    _, cdf_a, cdf_b = _cdfs(reference, window)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def wasserstein_in_sd(reference: Floats, window: Floats) -> float:
    """The Wasserstein-1 distance between the samples over the reference's standard deviation.

    A constant reference has no spread to measure in: any move away from it scores infinity,
    none scores zero.
    """
    points, cdf_a, cdf_b = _cdfs(reference, window)
    distance = float(np.sum(np.abs(cdf_a - cdf_b)[:-1] * np.diff(points)))
    spread = float(np.std(reference))
    if spread == 0.0:
        return 0.0 if distance == 0.0 else math.inf
    return distance / spread


def numeric_score(method: str, reference: Floats, window: Floats, bins: int) -> float:
    """``method``'s score of a numeric input (nulls already dropped from both samples)."""
    if method == "ks":
        return ks_statistic(reference, window)
    if method == "wasserstein":
        return wasserstein_in_sd(reference, window)
    edges = quantile_edges(reference, bins)
    counts = _histogram(reference, edges), _histogram(window, edges)
    return psi(*counts) if method == "psi" else jensen_shannon(*counts)


def category_score(method: str, reference: Sequence[str], window: Sequence[str]) -> float:
    """``method``'s score of a category input: each value (and null) is its own bin."""
    categories = sorted(set(reference) | set(window))
    position = {value: i for i, value in enumerate(categories)}

    def counts(values: Sequence[str]) -> Floats:
        index = np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))
        return np.bincount(index, minlength=len(categories)).astype(np.float64)

    pair = counts(reference), counts(window)
    if method == "psi":
        return psi(*pair)
    if method == "jensen_shannon":
        return jensen_shannon(*pair)
    return total_variation(*pair)
