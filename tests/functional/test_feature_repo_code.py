"""The feature repository and the feature API of any stack are lint-clean, typed, and cope
without views.

Stacks of every reference spec, a local-only spec, one whose online store is Bigtable and one
without feature views are built; the stack environment's own ruff and mypy check the Python
the Feast target wrote, and the stack without views runs every function of the feature API
(nothing to do, and nothing fails).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from mlopsgen.build import build_stack
from tests.conftest import REFERENCE_SPECS, REPO
from tests.functional.stack_env import run_json, stack_environment, stack_python

FEAST_PYTHON = ("features/definitions.py", "pipelines/feature_store.py")


def _without_views(tmp: Path) -> Path:
    data = yaml.safe_load((REPO / "tests/data/minimal.yaml").read_text(encoding="utf-8"))
    data["features"]["views"] = []
    data["models"][0]["inputs"] = ["amount", "country"]
    path = tmp / "no-views.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    stack_python()
    tmp = tmp_path_factory.mktemp("feast-code")
    specs = [
        *REFERENCE_SPECS,
        REPO / "tests/data/minimal.yaml",
        REPO / "tests/data/ad-click-through.yaml",
        _without_views(tmp),
    ]
    built = {}
    for spec in specs:
        build_stack(spec, tmp / spec.stem)
        built[spec.stem] = tmp / spec.stem
    return built


def _tool(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(stack_python().parent / name), *args],
        cwd=cwd,
        env=stack_environment(cwd),
        capture_output=True,
        text=True,
        check=False,
    )


def _files(stack: Path) -> list[str]:
    return [path for path in FEAST_PYTHON if (stack / path).exists()]


def test_the_generated_python_is_ruff_clean_and_formatted(stacks: dict[str, Path]) -> None:
    for name, stack in stacks.items():
        for args in (["check", *_files(stack)], ["format", "--check", *_files(stack)]):
            done = _tool("ruff", args, stack)
            assert done.returncode == 0, f"{name}: ruff {args[0]}\n{done.stdout}{done.stderr}"


@pytest.mark.slow
def test_the_generated_python_is_mypy_strict_clean(stacks: dict[str, Path], tmp_path: Path) -> None:
    """One mypy process for all stacks: each stack's definitions as a module of its own, and
    the feature API once (every stack gets the same file)."""
    checked = tmp_path / "checked"
    checked.mkdir()
    modules = {}
    for name, stack in stacks.items():
        definitions = stack / "features/definitions.py"
        if definitions.exists():
            module = f"definitions_{name.replace('-', '_')}.py"
            (checked / module).write_bytes(definitions.read_bytes())
            modules[module] = name
    # Past the two header lines (which name each spec's hash) the file is the same everywhere.
    apis = {
        b"".join((stack / "pipelines/feature_store.py").read_bytes().splitlines(True)[2:])
        for stack in stacks.values()
    }
    assert len(apis) == 1
    (checked / "feature_store.py").write_bytes(apis.pop())
    files = ["feature_store.py", *sorted(modules)]
    done = _tool("mypy", ["--strict", "--cache-dir", str(tmp_path / "cache"), *files], checked)
    assert done.returncode == 0, f"mypy\n{done.stdout}{done.stderr}"


def test_a_stack_without_views_has_no_repository_and_its_feature_api_copes(
    stacks: dict[str, Path],
) -> None:
    stack = stacks["no-views"]
    assert not (stack / "features").exists()
    code = """
import json
from datetime import datetime, timezone
from pathlib import Path
import pandas as pd
from pipelines import feature_store as fs

root = Path(".")
frame = pd.DataFrame({"user_id": ["a"], "event_timestamp": [datetime(2026, 1, 1)]})
tables = fs.build_feature_tables({"events": frame}, root)
fs.apply(root)
fs.materialize(root, datetime(2026, 1, 2, tzinfo=timezone.utc))
joined = fs.historical_features("scorer", frame, root)
online = fs.online_features("scorer", [{"user_id": "a"}], root)
print(json.dumps([tables, joined.equals(frame), online, Path("data/feast").exists()]))
"""
    assert run_json(stack, code) == [{}, True, {}, False]
