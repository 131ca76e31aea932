"""Stacks of random valid specs build, import, and pass ruff and mypy in the stack env.

Each example is a spec drawn by :data:`tests.valid_specs.valid_specs` (random sources,
schemas, entities, views, models, serving and clouds; hostile text in every free-text field;
Python keywords and the stack's own module names as names). Its stack is built, then, in the
stack's interpreter: every module of ``pipelines/`` and ``services/`` (but the service class,
which needs exported models) and the feature repository's ``definitions.py`` imports;
``ruff check`` and ``ruff format --check`` pass under the stack's own configuration;
``mypy --strict`` passes on ``pipelines`` and ``services`` (its cache shared with the other
lint tests, so only the stack's own modules are checked anew).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings

from mlopsgen.build import build_stack
from mlopsgen.targets.zenml.views import module_stem
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import assert_lint_clean
from tests.valid_specs import valid_specs

pytestmark = pytest.mark.slow

#: Imports every module of the stack's ``pipelines`` and ``services`` packages (with ZenML's
#: source root at the stack, as the entry point sets it), then the Feast definitions the way
#: Feast loads them (from the repository folder), and prints what it imported.
IMPORT_ALL = """
import importlib, json, os, sys
from pathlib import Path
from pipelines.run import configure_environment, use_stack_source_root
configure_environment(Path.cwd())
use_stack_source_root(Path.cwd())
names = sorted(
    ".".join(path.with_suffix("").parts).removesuffix(".__init__")
    for folder in ("pipelines", "services")
    for path in Path(folder).rglob("*.py")
    if path.name != "service.py"  # the service class refuses to load without stored models
)
for name in names:
    importlib.import_module(name)
definitions = Path("features", "definitions.py")
if definitions.exists():
    sys.path.insert(0, "features")
    importlib.import_module("definitions")
    names.append("definitions")
print(json.dumps(names), flush=True)
os._exit(0)
"""


#: No shrinking: every step of it builds and checks a stack (half a minute); the failing
#: example is printed whole, and ``--hypothesis-seed`` replays it.
@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=valid_specs())
def test_a_random_valid_spec_builds_imports_and_lints(
    spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack_python()
    folder = tmp_path_factory.mktemp("random-stack")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    report = build_stack(path, folder / "stack")
    assert report.exit_code == 0, report
    stack = folder / "stack"
    imported = run_json(stack, IMPORT_ALL)
    models = {m["name"] for m in spec["models"]}
    assert {f"pipelines.training.{module_stem(name)}" for name in models} <= set(imported)
    assert ("definitions" in imported) == bool(spec.get("features", {}).get("views"))
    assert {"services.serving_plan", "services.scoring"} <= set(imported)
    folders = ["pipelines", "services", *(["features"] if (stack / "features").is_dir() else [])]
    assert_lint_clean(stack, *folders)
