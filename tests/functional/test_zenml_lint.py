"""The generated pipelines are ruff-clean, ruff-formatted and mypy-strict-clean in the stack env."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, SPECS
from tests.functional.stack_env import stack_python
from tests.functional.zenml_stacks import assert_lint_clean, build

pytestmark = pytest.mark.slow

STACKS = {
    "fraud-detection": SPECS / "fraud-detection.yaml",
    "house-prices": REPO / "tests" / "data" / "stacks" / "house-prices.yaml",
}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_pipelines_pass_ruff_and_mypy(name: str, tmp_path: Path) -> None:
    stack_python()
    stack = build(STACKS[name], tmp_path / name)
    assert_lint_clean(stack, ".")
