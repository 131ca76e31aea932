"""A reference spec changed in ways its service was not written for still serves as specified.

The fraud spec is edited as a team would edit it: batching turned off, the experiment
dropped, its own decision rules and thresholds, a prediction cache keyed by the transaction,
and the anomaly model taken off the request path. The stack is built and trained, and its
service answers by the edited spec: the new rule fires and is named, the thresholds decide,
nothing is assigned to an arm, a repeated transaction is answered from the cache, and only the
models still on the path are called.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.functional.bento_serving import get, post, served
from tests.functional.fraud_rows import fraud_row
from tests.functional.stack_env import run_in_stack, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
ROWS = "4000"
SERVICE = "services.fraud_detection.service:FraudDetection"
RULE = "big_ticket"
THRESHOLDS = {"decline": 0.97, "review": 0.8}
USER, MERCHANT = "u-variant", "m-variant"

pytestmark = pytest.mark.slow


def _edited(spec: dict[str, Any]) -> dict[str, Any]:
    serving = spec["serving"]
    serving["models"] = ["fraud_xgb", "fraud_lgbm"]
    serving["batching"] = {"enabled": False}
    serving.pop("experiments")
    serving["cache"] = {"key": ["transaction_id"], "ttl": "5m", "hit_ratio": 0.05}
    decision = serving["decision"]
    decision.pop("anomaly_model")
    decision["thresholds"] = THRESHOLDS
    decision["rules"] = [{"name": RULE, "when": "amount_usd >= 2500", "action": "review"}]
    return spec


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    folder = tmp_path_factory.mktemp("bentoml-variant")
    spec = folder / "fraud-edited.yaml"
    document = _edited(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    built = build(spec, folder / "stack")
    done = run_pipelines(built, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    run_in_stack(built, ["-m", "services.export"])
    return built


@pytest.fixture(scope="module")
def base_url(stack: Path) -> Iterator[str]:
    with served(stack, SERVICE) as base:
        yield base


def _row(transaction: str, **changes: object) -> dict[str, object]:
    return fraud_row(USER, MERCHANT, transaction_id=transaction, **changes)


def test_the_plan_follows_the_edits(stack: Path) -> None:
    serving = json.loads((stack / "plan.json").read_text(encoding="utf-8"))["serving"]
    assert serving["batching"]["enabled"] is False
    assert serving["experiments"] == []
    assert serving["cache"] is not None
    assert serving["models"] == ["fraud_xgb", "fraud_lgbm"]


def test_the_edited_rule_fires_by_name_and_the_thresholds_decide(base_url: str) -> None:
    big, small = _row("t-big", amount_usd=3000.0), _row("t-small")
    status, answers = post(f"{base_url}/predict", {"rows": [big, small]})
    assert status == 200, answers
    flagged, plain = answers
    assert flagged["rules_fired"] == [RULE]
    assert flagged["decision"] in ("review", "decline")
    assert plain["rules_fired"] == []
    expected = (
        "decline"
        if plain["prediction"] >= THRESHOLDS["decline"]
        else "review"
        if plain["prediction"] >= THRESHOLDS["review"]
        else "approve"
    )
    assert plain["decision"] == expected
    # only the models left on the path are called; nobody is assigned to an arm
    for answer in answers:
        assert sorted(answer["scores"]) == ["fraud_lgbm", "fraud_xgb"]
        assert answer["variant"] is None and answer["experiment"] is None


def test_a_repeated_transaction_is_answered_from_the_cache(base_url: str) -> None:
    body = {"rows": [_row("t-repeat", amount_usd=77.0)]}
    first, second = post(f"{base_url}/predict", body), post(f"{base_url}/predict", body)
    assert first[0] == second[0] == 200
    (fresh,), (cached,) = first[1], second[1]
    assert (fresh["cached"], cached["cached"]) == (False, True)
    # the same answer, as another prediction: a new id, the same model versions
    assert cached["prediction_id"] != fresh["prediction_id"]
    assert {**cached, "cached": False, "prediction_id": fresh["prediction_id"]} == fresh
    status, text = get(f"{base_url}/metrics")
    assert status == 200
    assert 'mlopsgen_cache_requests_total{result="hit"}' in text


def test_a_bad_payload_names_the_field(base_url: str) -> None:
    status, body = post(f"{base_url}/predict", {"rows": [_row("t-bad", amount_usd=-5.0)]})
    assert 400 <= status < 500
    assert "amount_usd" in str(body)
