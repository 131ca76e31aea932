"""Sticky experiment assignment: stable across processes, split as planned, ramp-safe."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit import plan_support
from tests.unit.service_support import (
    SERVICES,
    generated_serving,
    serving_of,
    template_module,
)

experiments = template_module("experiments")
IDS = [f"user-{n}" for n in range(10_000)]


def within(count: int, trials: int, p: float, sigmas: float = 4.0) -> bool:
    """Whether ``count`` successes in ``trials`` fit a binomial(p) within ``sigmas``."""
    return abs(count - trials * p) <= sigmas * math.sqrt(trials * p * (1 - p))


def counts(experiment: Any, ids: list[str]) -> dict[tuple[str, bool], int]:
    found: dict[tuple[str, bool], int] = {}
    for unit in ids:
        a = experiments.assign(experiment, unit)
        found[(a.variant, a.enrolled)] = found.get((a.variant, a.enrolled), 0) + 1
    return found


def test_plans_give_their_experiments() -> None:
    (fraud,) = experiments.experiments_from_plan(generated_serving(plan_support.FRAUD))
    assert (fraud.name, fraud.unit, fraud.traffic_percent) == ("lgbm_heavier", "user_id", 100)
    assert [v.name for v in fraud.variants] == ["control", "treatment"]
    assert fraud.control.name == "control"
    assert dict(fraud.variant("treatment").ensemble) == {"fraud_lgbm": 0.7, "fraud_xgb": 0.3}
    (ranker,) = experiments.experiments_from_plan(generated_serving(plan_support.RECOMMENDATION))
    assert (ranker.variant("treatment").model, ranker.variant("treatment").stage) == (
        "ranker",
        "staging",
    )
    assert experiments.experiments_from_plan(generated_serving(plan_support.NLP)) == ()
    in_process = experiments.experiments_from_plan(
        serving_of(plan_support.plan(plan_support.RECOMMENDATION))
    )
    assert in_process == (ranker,)
    with pytest.raises(KeyError, match="nobody"):
        ranker.variant("nobody")


def test_fraud_split_is_90_10() -> None:
    (fraud,) = experiments.experiments_from_plan(generated_serving(plan_support.FRAUD))
    found = counts(fraud, IDS)
    assert set(found) <= {("control", True), ("treatment", True)}
    assert within(found.get(("treatment", True), 0), len(IDS), 0.10)


def test_partial_traffic_enrols_its_share_and_splits_it() -> None:
    (ranker,) = experiments.experiments_from_plan(generated_serving(plan_support.RECOMMENDATION))
    found = counts(ranker, IDS)
    enrolled = found.get(("control", True), 0) + found.get(("treatment", True), 0)
    assert set(found) <= {("control", True), ("treatment", True), ("control", False)}
    assert within(enrolled, len(IDS), ranker.traffic_percent / 100)
    assert within(found.get(("treatment", True), 0), enrolled, 0.5)


def test_same_unit_same_variant_in_any_process() -> None:
    """Python's ``hash`` differs per process; the assignment must not."""
    (fraud,) = experiments.experiments_from_plan(generated_serving(plan_support.FRAUD))
    sample = IDS[:200]
    here = [experiments.assign(fraud, unit).variant for unit in sample]
    assert here == [experiments.assign(fraud, unit).variant for unit in sample]
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import experiments as e; "
        "x = e.Experiment('lgbm_heavier', 'user_id', 'lgbm_heavier', 100.0, "
        "(e.Variant('control', 90.0), e.Variant('treatment', 10.0))); "
        "print(json.dumps([e.assign(x, u).variant for u in json.loads(sys.argv[2])]))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script, str(SERVICES), json.dumps(sample)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(out.stdout) == here


def test_bucket_is_sha256_of_the_parts() -> None:
    digest = hashlib.sha256(b"salt\x00user-7").digest()
    assert experiments.bucket("salt", "user-7") == int.from_bytes(digest[:8], "big") % 10_000


def test_raising_traffic_keeps_enrolled_units_in_their_arm() -> None:
    arms = (experiments.Variant("control", 50.0), experiments.Variant("treatment", 50.0))
    small = experiments.Experiment("e", "user_id", "e", 20.0, arms)
    large = experiments.Experiment("e", "user_id", "e", 60.0, arms)
    for unit in IDS[:2000]:
        before = experiments.assign(small, unit)
        if before.enrolled:
            assert experiments.assign(large, unit) == before


def test_a_new_salt_reshuffles() -> None:
    arms = (experiments.Variant("control", 50.0), experiments.Variant("treatment", 50.0))
    one = experiments.Experiment("e", "user_id", "one", 100.0, arms)
    two = experiments.Experiment("e", "user_id", "two", 100.0, arms)
    same = sum(
        experiments.assign(one, u).variant == experiments.assign(two, u).variant for u in IDS[:2000]
    )
    assert within(same, 2000, 0.5)


@given(st.text(), st.floats(0.01, 100), st.lists(st.floats(0, 100), min_size=1, max_size=5))
def test_every_unit_gets_a_declared_arm(unit: str, traffic: float, splits: list[float]) -> None:
    splits = [*splits, 1.0]  # at least one arm with traffic
    arms = tuple(experiments.Variant(f"v{i}", s) for i, s in enumerate(splits))
    experiment = experiments.Experiment("e", "u", "salt", traffic, arms)
    assignment = experiments.assign(experiment, unit)
    assert assignment.name == "e"
    if assignment.enrolled:
        assert experiment.variant(assignment.variant).split_percent > 0
    else:
        assert assignment.variant == "v0"
    assert experiments.assign(experiment, unit) == assignment


def test_a_request_without_a_unit_is_not_enrolled() -> None:
    (fraud,) = experiments.experiments_from_plan(generated_serving(plan_support.FRAUD))
    for row in ({}, {"user_id": None}, {"user_id": ""}):
        assert experiments.assign_row(fraud, row) == experiments.Assignment(
            "lgbm_heavier", "control", False
        )
    assert experiments.assign_row(fraud, {"user_id": 42}) == experiments.assign(fraud, "42")


def test_invalid_experiments_are_refused() -> None:
    arm = experiments.Variant("control", 100.0)
    with pytest.raises(ValueError, match="no variants"):
        experiments.Experiment("e", "u", "s", 100.0, ())
    with pytest.raises(ValueError, match="traffic_percent"):
        experiments.Experiment("e", "u", "s", 0.0, (arm,))
    with pytest.raises(ValueError, match="splits"):
        experiments.Experiment("e", "u", "s", 50.0, (experiments.Variant("control", 0.0),))
