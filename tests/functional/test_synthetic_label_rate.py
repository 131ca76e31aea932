"""The synthetic source draws a bool label at the base rate its source declares.

A spec's ``label_rate`` says how rare the positive class is (fraud is far rarer than clicks);
a stack whose synthetic labels ignored it would train and gate on a different problem. The
share of true labels among the rows whose labels have arrived is compared with the declared
rate, and without a declared rate with the generator's default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import build

SPEC = REPO / "tests" / "data" / "ad-click-through.yaml"
ROWS = 6000

pytestmark = pytest.mark.slow

SHARE = f"""
import json
from pipelines.stack_plan import load_plan
from pipelines.synthetic import BASE_RATE, generate
plan = load_plan()
source = plan.source("impressions")
frame = generate(plan, source, {ROWS}, seed=11)
labels = frame[source.label].dropna().astype(bool)
print(json.dumps({{"share": float(labels.mean()), "rows": int(len(labels)),
                  "declared": source.label_rate, "default": BASE_RATE}}))
"""


def _stack(tmp_path: Path, rate: float | None) -> Path:
    text = SPEC.read_text(encoding="utf-8")
    if rate is not None:
        text = text.replace(
            "      label_delay_days: 1\n", f"      label_delay_days: 1\n      label_rate: {rate}\n"
        )
    spec = tmp_path / "ad-click-through.yaml"
    spec.write_text(text, encoding="utf-8")
    return build(spec, tmp_path / "stack")


@pytest.mark.parametrize("rate", [0.01, 0.2, None], ids=["rare", "common", "undeclared"])
def test_true_labels_come_at_the_declared_rate(tmp_path: Path, rate: float | None) -> None:
    stack_python()
    found = run_json(_stack(tmp_path, rate), SHARE)
    assert found["declared"] == rate
    expected = rate if rate is not None else found["default"]
    # a binomial share of about 5,000 matured labels: four standard errors either side
    spread = 4.0 * (expected * (1.0 - expected) / found["rows"]) ** 0.5
    assert abs(found["share"] - expected) <= spread + 0.1 * expected, found
