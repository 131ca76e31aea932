"""The ZenML target: which files it renders, their purposes, determinism and escaping."""

from __future__ import annotations

import ast
import dataclasses
import re

import pytest
import yaml

from mlopsgen.plan import build_plan
from mlopsgen.render.errors import RenderError
from mlopsgen.spec.checks.metrics import MODEL_METRICS
from mlopsgen.spec.loader import load_spec_text
from mlopsgen.targets.zenml.target import ZenMLTarget, static_files
from mlopsgen.targets.zenml.views import FAMILY_OF_TASK
from tests.conftest import REPO
from tests.unit.plan_support import FRAUD, plan, variant

STEPS = ("ingest", "validate", "features", "check_leakage", "train", "evaluate", "register")


def test_fraud_gets_the_package_a_training_module_per_model_and_every_step() -> None:
    rendered = ZenMLTarget().render(plan(FRAUD))
    for path in (
        "pipelines/__init__.py",
        "pipelines/stack_plan.py",
        "pipelines/run.py",
        "pipelines/synthetic.py",
        "pipelines/configs/local.yaml",
        "pipelines/families/tabular.py",
        "pipelines/families/anomaly.py",
        *(f"pipelines/steps/{step}.py" for step in STEPS),
        *(f"pipelines/training/{m}.py" for m in ("fraud_xgb", "fraud_lgbm", "txn_anomaly")),
    ):
        assert path in rendered.files, path
    assert set(rendered.files) == set(rendered.purposes)
    assert all(rendered.purposes[p].strip() for p in rendered.files)


def test_each_step_module_defines_the_step_named_in_the_contract() -> None:
    files = ZenMLTarget().render(plan(FRAUD)).files
    for step in STEPS:
        tree = ast.parse(files[f"pipelines/steps/{step}.py"])
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert step in names


def test_every_family_file_of_the_templates_reaches_the_stack() -> None:
    families = [p for p in static_files() if p.startswith("pipelines/families/")]
    rendered = ZenMLTarget().render(plan(FRAUD)).files
    assert families and all(path in rendered for path in families)


def test_the_generated_family_table_agrees_with_the_target() -> None:
    source = static_files()["pipelines/tasks.py"]
    table = re.search(r"FAMILY_OF_TASK = (\{.*?\})", source, re.S)
    assert table is not None
    assert ast.literal_eval(table.group(1)) == FAMILY_OF_TASK


def test_the_tasks_with_a_family_are_the_tasks_validation_accepts_but_object_detection() -> None:
    """Validation accepts gate metrics per task from ``MODEL_METRICS``; a family must train
    each such task (object detection has none: validation refuses it; language models are
    fine-tuned by the pipelines of a language stack, not by a family)."""
    unrendered = {"object_detection", "text_generation", "embedding"}
    assert set(FAMILY_OF_TASK) == set(MODEL_METRICS) - unrendered


def test_rendering_is_deterministic() -> None:
    assert ZenMLTarget().render(plan(FRAUD)) == ZenMLTarget().render(plan(FRAUD))


def test_a_training_module_binds_its_model_through_a_python_literal() -> None:
    text = ZenMLTarget().render(plan(FRAUD)).files["pipelines/training/fraud_xgb.py"]
    module = ast.parse(text)
    constants = {
        n.targets[0].id: ast.literal_eval(n.value)
        for n in module.body
        if isinstance(n, ast.Assign)
        and isinstance(n.targets[0], ast.Name)
        and isinstance(n.value, ast.Constant)
    }
    assert constants == {"MODEL_NAME": "fraud_xgb", "PIPELINE_NAME": "train_fraud_xgb"}


HOSTILE_URI = 'kafka://x"""; import os; os.system(\'rm -rf /\') #`\n|'


def test_hostile_source_text_never_reaches_generated_python() -> None:
    outcome = variant(FRAUD, [(("data", "sources", 0, "uri"), HOSTILE_URI)])
    assert outcome.plan is not None
    rendered = ZenMLTarget().render(outcome.plan)
    for path, text in rendered.files.items():
        if path.endswith(".py"):
            ast.parse(text)
            assert "os.system" not in text, path
    section = next(iter(rendered.sections.values()))
    assert "rm -rf" in section and "\n|" not in section


def test_a_task_without_a_family_module_is_a_render_error_naming_it() -> None:
    """Validation refuses such a task (E333); a plan made some other way still cannot render."""
    spec = yaml.safe_load((REPO / "tests/data/stacks/house-prices.yaml").read_text())
    base = build_plan(load_spec_text(yaml.safe_dump(spec), "house-prices.yaml")).plan
    model = dataclasses.replace(base.models[0], task="object_detection")
    with pytest.raises(RenderError, match="object_detection"):
        ZenMLTarget().render(dataclasses.replace(base, models=(model,)))


@pytest.mark.parametrize("name", ["class", "import", "lambda"])
def test_a_model_named_with_a_python_keyword_gets_an_importable_module(name: str) -> None:
    spec = yaml.safe_load((REPO / "tests/data/stacks/house-prices.yaml").read_text())
    spec["models"][0]["name"] = name
    spec["serving"]["models"] = [name]
    outcome = build_plan(load_spec_text(yaml.safe_dump(spec), "house-prices.yaml"))
    assert outcome.plan is not None
    files = ZenMLTarget().render(outcome.plan).files
    assert f"pipelines/training/{name}_.py" in files
    assert f"pipelines/training/{name}.py" not in files
    run = ast.parse(files["pipelines/run.py"])
    stem = next(n for n in run.body if isinstance(n, ast.FunctionDef) and n.name == "module_stem")
    namespace: dict[str, object] = {}
    exec(f"import keyword\n{ast.unparse(stem)}", namespace)  # the stack's own rule, alone
    assert namespace["module_stem"](name) == f"{name}_"  # type: ignore[operator]
