"""The decision engine of the services: rules before and after the model, the weighted
ensemble, the anomaly flag and the thresholds, built from real plans."""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit import plan_support
from tests.unit.service_support import (
    generated_serving,
    serving_of,
    stack_services,
    template_module,
)

decision = template_module("decision")

XGB, LGBM, ANOMALY = "fraud_xgb", "fraud_lgbm", "txn_anomaly"
CALM = {"country": "FR", "amount_usd": 40.0, "user_velocity.txn_count_1h": 2}


@dataclass(frozen=True)
class FakeRule:
    """A rule that fires when the row's ``hit`` field names it."""

    name: str
    action: str

    def fires(self, row: object) -> bool:
        assert isinstance(row, dict)
        return self.name in row.get("hit", ())


def scores(ensemble: float, anomalous: bool = False) -> dict[str, float]:
    return {XGB: ensemble, LGBM: ensemble, ANOMALY: 1.0 if anomalous else 0.0}


@pytest.fixture(scope="module")
def fraud(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The fraud policy of the committed plan.json with the stack's generated rules module."""
    folder: Path = tmp_path_factory.mktemp("services")
    name = stack_services(folder, plan_support.plan(plan_support.FRAUD))
    module = importlib.import_module(f"{name}.decision")
    policy = module.DecisionPolicy.from_plan(generated_serving(plan_support.FRAUD))
    assert policy is not None
    return policy


def test_sanctioned_country_is_declined_before_the_model(fraud: Any) -> None:
    row = {**CALM, "country": "KP"}
    assert not fraud.needs_models(row)
    outcome = fraud.decide(row, {})
    assert (outcome.decision, outcome.rules_fired, outcome.score) == (
        "decline",
        ("sanctioned_country",),
        None,
    )
    scored = fraud.decide(row, scores(0.1))
    assert scored.decision == "decline" and scored.score == pytest.approx(0.1)
    assert fraud.decide(row, scores(0.1), fired=fraud.fired(row)) == scored


def test_thresholds(fraud: Any) -> None:
    assert fraud.needs_models(CALM)
    assert fraud.decide(CALM, scores(0.1)).decision == "approve"
    assert fraud.decide(CALM, scores(0.6)).decision == "review"  # at the threshold
    assert fraud.decide(CALM, scores(0.75)).decision == "review"
    assert fraud.decide(CALM, scores(0.95)).decision == "decline"
    assert fraud.decide(CALM, scores(0.95)).rules_fired == ()


def test_ensemble_weights_are_respected(fraud: Any) -> None:
    assert dict(fraud.ensemble) == pytest.approx({XGB: 0.6, LGBM: 0.4})
    only_xgb = {XGB: 1.0, LGBM: 0.0, ANOMALY: 0.0}
    assert fraud.decide(CALM, only_xgb).score == pytest.approx(0.6)
    assert fraud.decide(CALM, only_xgb).decision == "review"
    treatment = {XGB: 0.3, LGBM: 0.7}  # the experiment arm's weights
    assert fraud.decide(CALM, only_xgb, treatment).score == pytest.approx(0.3)
    assert fraud.decide(CALM, only_xgb, treatment).decision == "approve"
    unnormalised = {XGB: 3.0, LGBM: 7.0}
    assert fraud.decide(CALM, only_xgb, unnormalised).score == pytest.approx(0.3)


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 10), st.floats(0.01, 10))
def test_score_is_the_normalised_weighted_mean(a: float, b: float, wa: float, wb: float) -> None:
    policy = decision.DecisionPolicy({"a": wa, "b": wb}, None, {"review": 0.5}, ())
    score = policy.score({"a": a, "b": b})
    assert score == pytest.approx((wa * a + wb * b) / (wa + wb))
    assert min(a, b) - 1e-12 <= score <= max(a, b) + 1e-12


def test_anomaly_raises_to_review_never_to_decline(fraud: Any) -> None:
    assert fraud.models == (LGBM, XGB, ANOMALY)
    flagged = fraud.decide(CALM, scores(0.1, anomalous=True))
    assert (flagged.decision, flagged.anomalous) == ("review", True)
    assert fraud.decide(CALM, scores(0.95, anomalous=True)).decision == "decline"
    assert fraud.decide(CALM, scores(0.1)).anomalous is False


def test_review_rules_raise_but_never_lower(fraud: Any) -> None:
    spike = {**CALM, "user_velocity.txn_count_1h": 25}
    assert fraud.decide(spike, scores(0.1)).decision == "review"
    high = fraud.decide(spike, scores(0.95))
    assert (high.decision, high.rules_fired) == ("decline", ("velocity_spike",))
    both = {"country": "IR", "amount_usd": 9000.0, "user_velocity.txn_count_1h": 0}
    assert fraud.decide(both, {}).rules_fired == ("sanctioned_country", "large_new_user")


def test_missing_scores_are_an_error_unless_declined(fraud: Any) -> None:
    with pytest.raises(ValueError, match="txn_anomaly"):
        fraud.decide(CALM, {XGB: 0.1, LGBM: 0.1})
    with pytest.raises(ValueError, match="fraud_lgbm"):
        fraud.decide(CALM, {XGB: 0.1, ANOMALY: 0.0})


def test_approve_rule_overrides_the_model_not_other_rules() -> None:
    rules = (FakeRule("allow", "approve"), FakeRule("look", "review"), FakeRule("flagged", "flag"))
    policy = decision.DecisionPolicy({"m": 1.0}, None, {"decline": 0.9, "flag": 0.3}, rules)
    assert policy.decide({"hit": ["allow"]}, {"m": 0.99}).decision == "approve"
    assert policy.decide({"hit": ["allow", "look"]}, {"m": 0.99}).decision == "review"
    assert policy.decide({"hit": ["flagged"]}, {"m": 0.1}).decision == "flag"
    assert policy.decide({"hit": []}, {"m": 0.5}).decision == "flag"
    outcome = policy.decide({"hit": ["look", "allow", "flagged"]}, {"m": 0.0})
    assert outcome.rules_fired == ("allow", "look", "flagged")  # the spec's order


@given(
    st.lists(st.sampled_from(decision.ACTIONS), max_size=4),
    st.floats(0, 1),
    st.booleans(),
)
def test_outcome_is_at_least_every_fired_escalation(
    actions: list[str], score: float, anomalous: bool
) -> None:
    rules = tuple(FakeRule(f"r{i}", action) for i, action in enumerate(actions))
    policy = decision.DecisionPolicy(
        {"m": 1.0}, "odd", {"decline": 0.9, "review": 0.6, "flag": 0.3}, rules
    )
    row = {"hit": [r.name for r in rules]}
    outcome = policy.decide(row, {"m": score, "odd": float(anomalous)})
    rank = decision.ACTIONS.index
    for action in set(actions) - {"approve"}:
        assert rank(outcome.decision) >= rank(action)
    if "decline" not in actions and "approve" not in actions:
        assert rank(outcome.decision) >= rank(policy.verdict(score))
        if anomalous:
            assert rank(outcome.decision) >= rank("review")
    if not actions and not anomalous:
        assert outcome.decision == policy.verdict(score)
    assert outcome.rules_fired == tuple(r.name for r in rules)


def test_no_decision_no_policy() -> None:
    for stem in (plan_support.NLP, plan_support.RECOMMENDATION, plan_support.VISION):
        assert decision.DecisionPolicy.from_plan(generated_serving(stem)) is None


def test_in_process_plan_matches_plan_json(tmp_path: Path) -> None:
    plan = plan_support.plan(plan_support.FRAUD)
    name = stack_services(tmp_path, plan)
    module = importlib.import_module(f"{name}.decision")
    built = module.DecisionPolicy.from_plan(serving_of(plan))
    stored = module.DecisionPolicy.from_plan(generated_serving(plan_support.FRAUD))
    assert (built.ensemble, built.thresholds, built.anomaly_model) == (
        stored.ensemble,
        stored.thresholds,
        stored.anomaly_model,
    )
    assert [r.name for r in built.rules] == [r.name for r in stored.rules]


def test_rules_module_from_another_spec_is_refused(tmp_path: Path) -> None:
    name = stack_services(tmp_path, plan_support.plan(plan_support.FRAUD))
    module = importlib.import_module(f"{name}.decision")
    serving = generated_serving(plan_support.FRAUD)
    serving["decision"]["rules"] = serving["decision"]["rules"][:1]
    with pytest.raises(RuntimeError, match="rebuild the stack"):
        module.DecisionPolicy.from_plan(serving)


def test_missing_rules_module_is_reported() -> None:
    with pytest.raises(RuntimeError, match="missing"):
        decision.DecisionPolicy.from_plan(generated_serving(plan_support.FRAUD))


def test_a_flag_threshold_from_the_spec() -> None:
    edits = [(("serving", "decision", "thresholds"), {"decline": 0.9, "flag": 0.2})]
    planned = plan_support.variant(plan_support.FRAUD, edits).plan
    policy = decision.DecisionPolicy.from_plan(serving_of(planned), rules=())
    assert policy.decide(CALM, scores(0.3)).decision == "flag"
    assert policy.decide(CALM, scores(0.1)).decision == "approve"


def test_bad_weights_and_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        decision.DecisionPolicy({"m": -1.0}, None, {}, ())
    with pytest.raises(ValueError, match="zero"):
        decision.DecisionPolicy({"m": 0.0}, None, {}, ())
    with pytest.raises(ValueError, match="weight"):
        decision.DecisionPolicy({"m": math.nan}, None, {}, ())
    with pytest.raises(ValueError, match="thresholds"):
        decision.DecisionPolicy({"m": 1.0}, None, {"approve": 0.1}, ())
    with pytest.raises(ValueError, match="unknown action"):
        decision.DecisionPolicy({"m": 1.0}, None, {}, (FakeRule("x", "block"),))


def test_rule_row_names_features_as_rules_read_them() -> None:
    request = {"amount_usd": 10.0, "country": "FR"}
    nested = decision.rule_row(request, {"user_velocity": {"txn_count_1h": 3}})
    flat = decision.rule_row(request, {"user_velocity.txn_count_1h": 3})
    feast = decision.rule_row(request, {"user_velocity__txn_count_1h": 3})
    expected = {**request, "user_velocity.txn_count_1h": 3}
    assert nested == flat == feast == expected
    assert decision.rule_row(request, {"country": "KP"})["country"] == "FR"
