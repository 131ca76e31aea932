"""The drift sample: rows per window from the method's noise, the share of requests logged.

The rows a window needs are checked against what the statistic actually scores between two
samples of one distribution: simulated here in plain Python (seeded), the mean noise at the
planned rows must sit near a tenth of the warning band, not above it.
"""

from __future__ import annotations

import bisect
import math
import random

import pytest

from mlopsgen.plan.monitoring import DRIFT_BINS
from tests.unit.plan_support import FRAUD, REFERENCE, plan, variant

pytestmark = pytest.mark.unit

DRAWS = 60


def _psi(reference: list[float], current: list[float]) -> float:
    """PSI over the reference's deciles (an empty bin counts as half a row)."""
    ordered = sorted(reference)
    edges = [ordered[len(ordered) * k // DRIFT_BINS] for k in range(1, DRIFT_BINS)]
    total = 0.0
    counted = zip(_counts(reference, edges), _counts(current, edges), strict=True)
    for count_ref, count_cur in counted:
        p = max(count_ref, 0.5) / len(reference)
        q = max(count_cur, 0.5) / len(current)
        total += (q - p) * math.log(q / p)
    return total


def _counts(values: list[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[bisect.bisect_right(edges, value)] += 1
    return counts


def _ks(first: list[float], second: list[float]) -> float:
    a, b = sorted(first), sorted(second)
    return max(
        abs(bisect.bisect_right(a, x) / len(a) - bisect.bisect_right(b, x) / len(b)) for x in a + b
    )


def _mean_noise(statistic: str, rows: int) -> float:
    rng = random.Random(11)
    scores = []
    for _ in range(DRAWS):
        first = [rng.gauss(0.0, 1.0) for _ in range(rows)]
        second = [rng.gauss(0.0, 1.0) for _ in range(rows)]
        scores.append(_psi(first, second) if statistic == "psi" else _ks(first, second))
    return sum(scores) / len(scores)


@pytest.mark.parametrize("method", ["psi", "ks"])
def test_the_planned_rows_keep_chance_drift_near_a_tenth_of_the_warning_band(
    method: str,
) -> None:
    drift = variant(FRAUD, [(("monitoring", "drift", "method"), method)]).plan.monitoring.drift
    noise = _mean_noise(method, drift.sample_rows)
    assert 0.05 * drift.warn < noise < 0.13 * drift.warn, (method, drift.sample_rows, noise)


def test_fewer_rows_would_make_chance_drift_larger() -> None:
    drift = plan(FRAUD).monitoring.drift
    assert _mean_noise("psi", drift.sample_rows // 4) > 0.3 * drift.warn


@pytest.mark.parametrize(
    ("method", "rows"), [("psi", 1800), ("jensen_shannon", 22500), ("ks", 15093)]
)
def test_rows_per_window_by_method(method: str, rows: int) -> None:
    drift = variant(FRAUD, [(("monitoring", "drift", "method"), method)]).plan.monitoring.drift
    assert drift.bins == DRIFT_BINS and drift.sample_rows == rows


def test_a_wider_warning_band_needs_fewer_rows() -> None:
    narrow = variant(FRAUD, [(("monitoring", "drift", "warn"), 0.05)]).plan.monitoring.drift
    wide = variant(FRAUD, [(("monitoring", "drift", "warn"), 0.2)]).plan.monitoring.drift
    assert narrow.sample_rows > plan(FRAUD).monitoring.drift.sample_rows > wide.sample_rows


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_logged_share_brings_the_rows_at_the_average_rate(stem: str) -> None:
    reference = plan(stem)
    drift = reference.monitoring.drift
    assert 0.0 < drift.sample_fraction <= 1.0
    capacity = reference.serving.capacity
    if capacity is not None and drift.sample_fraction < 1.0:
        per_window = capacity.average_rps * drift.window_seconds * drift.sample_fraction
        assert per_window == pytest.approx(drift.sample_rows, rel=1e-3)


def test_quiet_traffic_logs_every_request() -> None:
    quiet = variant(
        FRAUD,
        [
            (("slo", "throughput", "peak_rps"), 1),
            (("slo", "throughput", "requests_per_day"), 10000),
        ],
    )
    assert quiet.plan.monitoring.drift.sample_fraction == 1.0
