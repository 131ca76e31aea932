# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""The planner's building blocks against values worked out by hand or taken from references."""

from __future__ import annotations

import pytest

from mlopsgen.plan import availability, batching, capacity, experiments, features, schedules
from mlopsgen.plan.gates import metric_applies
from mlopsgen.plan.names import K8sName, PythonIdentifier
from mlopsgen.plan.record import clean, fmt
from mlopsgen.plan.rules import canonical, rule_references


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100000, "100000"),
        (100000.0, "100000"),
        (0.70043, "0.7004"),
        (89.2857, "89.29"),
        (1736.111, "1736"),
        (0.0001, "0.0001"),
        (0.000007848879, "0.000007849"),
        (-2.5, "-2.5"),
        (None, "none"),
        (True, "true"),
    ],
)
def test_fmt_prints_four_significant_digits_without_exponent(
    value: float | None, text: str
) -> None:
    assert fmt(value) == text


def test_clean_removes_float_noise() -> None:
    assert clean(0.1 + 0.2) == 0.3
    assert clean(1736.1111111) == 1736.11
    assert clean(0.0) == 0.0


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("0 3 * * *", 30),  # once a day
        ("*/15 * * * *", 2880),  # 4 an hour × 24 × 30
        ("0 3 * * 0", 30 / 7),  # Sundays
        ("0 2 1,15 * *", 2),  # two days of the month
        ("0 9 * * 1-5", 5 * 30 / 7),  # weekdays
        ("30 4 * 6 *", 2.5),  # every day of one month in twelve
        ("0 0 1 * 0", 1 + 30 / 7 - 1 / 7),  # cron's OR of day-of-month and day-of-week
    ],
)
def test_cron_runs_per_month(expression: str, runs: float) -> None:
    assert schedules.runs_per_month(expression) == pytest.approx(runs)


def test_cadence_words_become_cron() -> None:
    assert schedules.cadence_cron("continuous") == "*/15 * * * *"
    assert schedules.cadence_cron("hourly") == "0 * * * *"
    assert schedules.cadence_cron("daily") == "0 3 * * *"
    assert schedules.cadence_cron("weekly") == "0 3 * * 0"
    assert schedules.cadence_cron("5 1 * * 2") == "5 1 * * 2"


def test_utilisation_rule() -> None:
    # 1 − ln(20) × 10 / 100 = 1 − 2.995732 × 0.1 = 0.700427 → capped at 0.7
    assert capacity.target_utilisation(10, 100) == 0.7
    # 1 − 2.995732 × 20 / 100 = 0.400854
    assert capacity.target_utilisation(20, 100) == pytest.approx(0.400854, abs=1e-6)
    # beyond the budget the floor 0.05 keeps the plan finite
    assert capacity.target_utilisation(50, 100) == 0.05


def test_littles_law_and_zone_spread() -> None:
    assert capacity.replicas_needed(100000, 2000, 0.55) == 91  # ceil(90.9)
    assert capacity.replicas_needed(1400, 2000, 0.7) == 1  # exactly 1.0, no float spill
    assert capacity.replicas_needed(0.001, 2000, 0.7) == 1
    assert capacity.replicas_per_zone(91, 3, 0) == 46  # ceil(91 / 2)
    assert capacity.replicas_per_zone(91, 3, 1) == 47
    assert capacity.replicas_per_zone(5, 2, 0) == 5  # one zone carries everything
    assert capacity.replicas_per_zone(5, 1, 0) == 5


@pytest.mark.parametrize(
    ("target", "zones", "minutes"),
    [(99.0, 1, 432), (99.5, 1, 216), (99.9, 2, 43.2), (99.95, 2, 21.6), (99.99, 3, 4.32)],
)
def test_zones_and_error_budget(target: float, zones: int, minutes: float) -> None:
    assert availability.zones_for_target(target) == zones
    assert availability.error_budget_minutes(target) == minutes


def test_series_and_parallel_composition() -> None:
    assert availability.series([0.99, 0.99]) == pytest.approx(0.9801)
    assert availability.parallel([0.9, 0.9]) == pytest.approx(0.99)
    assert availability.parallel([0.999, 0.999, 0.999]) == pytest.approx(1 - 1e-9)


def test_sample_size_textbook_case() -> None:
    # p1 = 0.10, δ = 0.02 (20 % relative) → p2 = 0.12; variance 0.09 + 0.1056 = 0.1956
    # n = 7.848879 × 0.1956 / 0.0004 = 3838.1 → 3839 per arm
    assert experiments.sample_size_per_arm(0.10, 0.02) == 3839
    assert experiments.z_score(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert experiments.z_score(0.8) == pytest.approx(0.841621, abs=1e-6)
    with pytest.raises(ValueError, match="not a rate"):
        experiments.sample_size_per_arm(0.6, 0.6)


def test_sample_size_for_a_mean() -> None:
    # σ = 10, δ = 1: n = 2 × 7.848879 × 100 / 1 = 1569.8 → 1570 per arm
    assert experiments.sample_size_for_mean(10, 1) == 1570


def test_whole_weeks() -> None:
    assert experiments.whole_weeks(0.2) == 7
    assert experiments.whole_weeks(7.0) == 7
    assert experiments.whole_weeks(7.01) == 14
    # arm of 10 % of 50 % of 1,000 units a day needs 500 / 50 = 10 days
    assert experiments.days_for(500, 1000, 0.5, 0.1) == 10


def test_refresh_interval_leaves_room_for_three_missed_runs() -> None:
    assert features.refresh_interval(7 * 86400) == (86400, "0 2 * * *")
    assert features.refresh_interval(86400) == (21600, "0 */6 * * *")
    assert features.refresh_interval(7200) == (900, "*/15 * * * *")
    assert features.refresh_interval(60) == (900, "*/15 * * * *")


def test_power_of_two_batches() -> None:
    assert [batching.floor_power_of_two(v) for v in (0.5, 1, 2, 3, 41.7, 64, 1000)] == [
        1,
        1,
        2,
        2,
        32,
        64,
        512,
    ]


def test_guardrail_metric_tasks() -> None:
    assert metric_applies("false_positive_rate", "binary_classification")
    assert not metric_applies("false_positive_rate", "anomaly_detection")
    assert metric_applies("ndcg_at_10", "ranking")
    assert not metric_applies("ndcg_at_10", "retrieval")
    assert metric_applies("mape", "forecasting")
    assert not metric_applies("fraud_loss_usd", "binary_classification")


def test_names() -> None:
    assert K8sName.from_text("fraud_xgb") == "fraud-xgb"
    assert K8sName.from_text("time-series-forecasting-api") == "time-series-forecasting-api"
    assert PythonIdentifier.from_text("fraud-detection") == "fraud_detection"
    assert PythonIdentifier.from_text("class") == "class_"
    assert K8sName.is_valid(K8sName.from_text("9-lives"))
    with pytest.raises(ValueError):
        K8sName("9_lives")


def test_rule_references_and_canonical_text() -> None:
    text = "amount_usd > 5000 and user_velocity.txn_count_1h == 0"
    assert rule_references(text) == ("amount_usd", "user_velocity.txn_count_1h")
    assert rule_references("country in ['KP', 'IR']") == ("country",)
    assert canonical('country in ["KP"]') == "country in ['KP']"
    assert rule_references("amount >") == ()
