"""The computer-vision stack trains, compresses and checks for real.

The synthetic source draws small pictures whose class decides their pattern (2 % of labels
recorded wrongly), so the promoted model must come within a stated margin of the oracle (the
true classes) on the hold-out. The served model is the pruned int8 one the ``optimize`` step
writes: it loads back from the Model Control Plane in a fresh process, classifies fresh images
(small ones and the schema's full 224 px), is at least 3x smaller than the float model and
holds the planned sparsity. A spec whose ``max_accuracy_drop`` is 0 keeps the next candidate
out: any real compression loss is above 0, so the ``accuracy_drop`` gate fails (exit 3).
One stack is built and trained for the module; the zero-bound variant retrains in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import build, last_run, run_pipelines

SPEC = SPECS / "computer-vision.yaml"
ROWS = "1200"
#: The zero-bound candidate only has to train and be checked: fewer rows do.
STRICT_ROWS = "500"
#: The served model's hold-out accuracy may trail the oracle's (true classes) by this much.
ACCURACY_MARGIN = 0.04
#: Share of fresh images (true classes) the production model must classify right.
FRESH_ACCURACY = 0.9

pytestmark = pytest.mark.slow

LOAD_AND_CLASSIFY = """
import json
import numpy as np
import pandas as pd
from pipelines.families import vision
from pipelines.models import model_version, production_model
from pipelines.stack_plan import load_plan
from pipelines.synthetic import generate
from pipelines.synthetic_images import encode
plan = load_plan()
spec = plan.model("image_classifier")
served = production_model(spec.name)
float_model = model_version(spec.name).get_artifact("float_model").load()
fresh = generate(plan, plan.source(spec.source), 300, seed=99)
predicted = vision.predict(spec, served, fresh)["prediction"]
truth = fresh["_oracle__label"].astype(str)
classes = list(plan.source(spec.source).field("label").values)
big = vision.images(classes, 224, 224, 3, np.random.default_rng(5))
full_size = vision.predict(spec, served, pd.DataFrame({"image": [encode(p) for p in big]}))
print(json.dumps({
    "quantization": served.quantization,
    "fresh_accuracy": float((predicted.astype(str) == truth).mean()),
    "full_size_rows": len(full_size),
    "sparsity": vision.weight_sparsity(served),
    "float_bytes": vision.size_on_disk(float_model),
    "served_bytes": vision.size_on_disk(served),
    "planned_sparsity": spec.pruning_sparsity,
}))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    """The stack, the exit code of its training run and the run's outcome."""
    stack_python()
    stack = build(SPEC, tmp_path_factory.mktemp("vision") / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return stack, done.returncode, last_run(stack)


def test_the_compressed_model_is_promoted_near_the_oracle(
    trained: tuple[Path, int, dict[str, Any]],
) -> None:
    _, code, outcome = trained
    assert code == 0 and outcome["status"] == "promoted"
    (model,) = outcome["models"]
    assert model["name"] == "image_classifier" and model["stage"] == "production"
    metrics, oracle = model["metrics"], model["oracle"]
    assert metrics["accuracy"] >= oracle["accuracy"] - ACCURACY_MARGIN, model
    assert {g["metric"] for g in model["gates"]} == {"accuracy", "macro_f1", "accuracy_drop"}
    assert all(g["passed"] for g in model["gates"]), model["gates"]
    assert 0.0 < metrics["accuracy_drop"] <= 0.01
    assert metrics["size_ratio"] >= 3.0 and metrics["sparsity"] >= 0.3


def test_the_production_model_loads_back_and_classifies_fresh_images(
    trained: tuple[Path, int, dict[str, Any]],
) -> None:
    stack, _, _ = trained
    result = run_json(stack, LOAD_AND_CLASSIFY)
    assert result["quantization"] == "int8"
    assert result["fresh_accuracy"] >= FRESH_ACCURACY, result
    assert result["full_size_rows"] == 5
    assert result["float_bytes"] >= 3 * result["served_bytes"], result
    assert result["sparsity"] >= result["planned_sparsity"] == 0.3


def test_a_zero_accuracy_drop_bound_keeps_the_candidate_in_staging(
    trained: tuple[Path, int, dict[str, Any]], tmp_path: Path
) -> None:
    stack, _, _ = trained
    spec = yaml.safe_load(SPEC.read_text())
    spec["models"][0]["optimization"]["max_accuracy_drop"] = 0
    path = tmp_path / "computer-vision.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    build(path, stack)
    done = run_pipelines(stack, "--rows", STRICT_ROWS)
    assert done.returncode == 3, done.stderr[-6000:]
    (model,) = last_run(stack)["models"]
    assert model["stage"] == "staging" and not model["promoted"]
    gate = next(g for g in model["gates"] if g["metric"] == "accuracy_drop")
    assert gate["max"] == 0 and gate["value"] > 0 and not gate["passed"], gate
