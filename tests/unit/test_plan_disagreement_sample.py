"""The saturation sample: how many enrolled requests the service also scores as the other arm.

A day's sample must measure the disagreement rate r within a quarter of itself at 95 %:
n = z² (1 - r) / (0.25² r) requests, taken as a share of the enrolled requests of a day.
"""

from __future__ import annotations

import math

import pytest

from tests.unit.plan_support import FRAUD, plan, variant

pytestmark = pytest.mark.unit

EXPERIMENT = ("serving", "experiments", 0)


def _rows(rate: float) -> int:
    return math.ceil(1.959964**2 * (1 - rate) / (0.25**2 * rate))


def test_the_fraud_experiment_compares_a_days_sample_at_the_assumed_two_percent() -> None:
    (experiment,) = plan(FRAUD).serving.experiments
    enrolled = 3_000_000_000 * experiment.traffic_percent / 100
    assert experiment.disagreement_sample_fraction == pytest.approx(_rows(0.02) / enrolled, 1e-3)


def test_a_higher_expected_disagreement_needs_a_smaller_sample() -> None:
    low = variant(FRAUD, [((*EXPERIMENT, "expected_disagreement_percent"), 1)])
    high = variant(FRAUD, [((*EXPERIMENT, "expected_disagreement_percent"), 20)])
    (rare,) = low.plan.serving.experiments
    (common,) = high.plan.serving.experiments
    assert rare.disagreement_sample_fraction > common.disagreement_sample_fraction
    ratio = rare.disagreement_sample_fraction / common.disagreement_sample_fraction
    assert ratio == pytest.approx(_rows(0.01) / _rows(0.20), rel=1e-3)


def test_quiet_traffic_compares_every_enrolled_request() -> None:
    quiet = variant(
        FRAUD,
        [(("slo", "throughput", "peak_rps"), 1), (("slo", "throughput", "requests_per_day"), 500)],
    )
    (experiment,) = quiet.plan.serving.experiments
    assert experiment.disagreement_sample_fraction == 1.0
