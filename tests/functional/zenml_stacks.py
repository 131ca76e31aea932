"""Helpers of the ZenML functional tests: build a spec's stack and run its pipelines."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mlopsgen.build import build_stack
from tests.functional.stack_env import run_in_stack, run_json, stack_environment, stack_python

__all__ = [
    "assert_lint_clean",
    "build",
    "last_run",
    "load_production",
    "model_registry",
    "run_pipelines",
]

#: mypy's cache of the stack's libraries outlives one run: a cold check takes minutes.
MYPY_CACHE = Path(tempfile.gettempdir()) / "mlopsgen-zenml-mypy-cache"


def build(spec: Path, out: Path) -> Path:
    """Write the stack of ``spec`` into ``out`` and return it."""
    report = build_stack(spec, out)
    assert report.exit_code == 0, report
    return out


def run_pipelines(stack: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipelines.run ARGS`` in the stack's environment, not checked."""
    return run_in_stack(stack, ["-m", "pipelines.run", *args], check=False)


#: Each version of a model (``MODEL``): its stage in ZenML's Model Control Plane and the
#: rollout record the controller left in its metadata.
MODEL_REGISTRY = """
import json, os
from pipelines.models import model_version
model_version(os.environ["MODEL"])  # configures ZenML for the stack first
from zenml.client import Client
out = {}
for version in Client().list_model_versions(model_name_or_id=os.environ["MODEL"], size=50).items:
    stage = version.stage
    meta = version.run_metadata.get("rollout")
    out[str(version.number)] = {
        "stage": None if stage is None else getattr(stage, "value", stage),
        "rollout": dict(meta) if meta else None,
    }
print(json.dumps(out))
"""


def model_registry(stack: Path, model: str) -> dict[str, Any]:
    """Each of ``model``'s versions by number: its stage and its rollout record."""
    versions: dict[str, Any] = run_json(stack, MODEL_REGISTRY, extra_env={"MODEL": model})
    return versions


def last_run(stack: Path) -> dict[str, Any]:
    """The outcome the run wrote."""
    outcome: dict[str, Any] = json.loads((stack / ".mlopsgen" / "last-run.json").read_text())
    return outcome


LOAD_AND_PREDICT = """
import json, os, sys
from pipelines.models import production_model
from pipelines.stack_plan import load_plan
from pipelines.tasks import family_of
from pipelines.synthetic import generate
plan = load_plan()
spec = plan.model({model!r})
fitted = production_model(spec.name)
fresh = generate(plan, plan.source(spec.source), 300, seed=99)
predictions = family_of(spec.task).predict(spec, fitted, fresh)
print(json.dumps({{"rows": len(predictions), "columns": sorted(predictions.columns),
                  "finite": bool(predictions["prediction"].notna().all())}}))
"""


def load_production(stack: Path, model: str) -> dict[str, Any]:
    """Load ``model``'s production version from the Model Control Plane; predict fresh rows."""
    result: dict[str, Any] = run_json(stack, LOAD_AND_PREDICT.format(model=model))
    return result


def _tool(stack: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(stack_python()), "-m", *args],
        cwd=stack,
        env=stack_environment(stack),
        capture_output=True,
        text=True,
        check=False,
    )


def assert_lint_clean(
    stack: Path, *paths: str, packages: tuple[str, ...] = ("pipelines", "services")
) -> None:
    """``ruff check`` and ``ruff format --check`` over ``paths`` under the stack's own
    configuration, then ``mypy --strict`` over ``packages`` (``pipelines`` and ``services``),
    in the stack's environment."""
    lint = _tool(stack, "ruff", "check", "--no-cache", *paths)
    assert lint.returncode == 0, lint.stdout[-4000:]
    formatted = _tool(stack, "ruff", "format", "--check", "--no-cache", *paths)
    assert formatted.returncode == 0, formatted.stdout[-4000:]
    types = _tool(
        stack,
        "mypy",
        "--strict",
        "--ignore-missing-imports",
        "--cache-dir",
        str(MYPY_CACHE),
        *[package for package in packages if (stack / package).is_dir()],
    )
    assert types.returncode == 0, types.stdout[-4000:]
