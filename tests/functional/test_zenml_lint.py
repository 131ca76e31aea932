"""The generated pipelines are ruff-clean, ruff-formatted and mypy-strict-clean in the stack env."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, SPECS
from tests.functional.stack_env import stack_environment, stack_python
from tests.functional.zenml_stacks import build

pytestmark = pytest.mark.slow

STACKS = {
    "fraud-detection": SPECS / "fraud-detection.yaml",
    "house-prices": REPO / "tests" / "data" / "stacks" / "house-prices.yaml",
}
#: mypy's cache of the stack's libraries outlives one run: a cold check takes minutes.
CACHE = Path(tempfile.gettempdir()) / "mlopsgen-zenml-mypy-cache"


def _tool(stack: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(stack_python()), "-m", *args],
        cwd=stack,
        env=stack_environment(stack),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(STACKS))
def test_pipelines_pass_ruff_and_mypy(name: str, tmp_path: Path) -> None:
    stack_python()
    stack = build(STACKS[name], tmp_path / name)
    lint = _tool(stack, "ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout
    formatted = _tool(stack, "ruff", "format", "--check", "--no-cache", ".")
    assert formatted.returncode == 0, formatted.stdout
    types = _tool(
        stack,
        "mypy",
        "--strict",
        "--ignore-missing-imports",
        "--cache-dir",
        str(CACHE),
        "pipelines",
    )
    assert types.returncode == 0, types.stdout[-4000:]
