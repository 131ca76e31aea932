"""The tabular family computes every metric the spec language lets a gate name for its tasks.

``mlopsgen.spec.checks.metrics.MODEL_METRICS`` is the promise validation makes: a gate on a
metric in that table passes the spec. A metric the generated evaluation does not compute would
fail that gate after training (the gate finds no value). This runs the family's ``evaluate``
for binary, multiclass and regression models in the stack's interpreter and compares the
names it returns with the table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.build import build_stack
from mlopsgen.spec.checks.metrics import MODEL_METRICS
from tests.conftest import REPO
from tests.functional.stack_env import run_json

SPEC = REPO / "tests" / "data" / "stacks" / "house-prices.yaml"

CODE = """
import dataclasses, json
import numpy as np, pandas as pd
from pipelines.stack_plan import load_plan
from pipelines.families import tabular

rng = np.random.default_rng(0)
n = 400
frame = pd.DataFrame({
    "area_m2": rng.uniform(10, 500, n),
    "rooms": rng.integers(1, 10, n),
    "district": rng.choice(["north", "south", "east", "west"], n),
    "has_garden": rng.integers(0, 2, n).astype(bool),
})
frame["price"] = frame["area_m2"] * 3000 + rng.normal(0, 50000, n)
frame["expensive"] = frame["price"] > frame["price"].median()
frame["band"] = pd.cut(frame["price"], 3, labels=["low", "mid", "high"]).astype(str)
base = load_plan().models[0]
out = {}
for task, target in (
    ("regression", "price"),
    ("binary_classification", "expensive"),
    ("multiclass_classification", "band"),
):
    model = dataclasses.replace(base, task=task, target=target, gates=())
    fitted = tabular.fit(model, frame.iloc[:300], seed=0)
    out[task] = sorted(tabular.evaluate(model, fitted, frame.iloc[300:]))
print(json.dumps(out))
"""


@pytest.mark.parametrize(
    "task", ["regression", "binary_classification", "multiclass_classification"]
)
def test_evaluate_returns_every_metric_a_gate_may_name(task: str, tmp_path: Path) -> None:
    stack = tmp_path / "house-prices"
    build_stack(SPEC, stack)
    names = run_json(stack, CODE)[task]
    assert set(MODEL_METRICS[task]) <= set(names), set(MODEL_METRICS[task]) - set(names)
