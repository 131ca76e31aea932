"""Run code in a generated stack's own Python environment, never in the test's process.

The compiler and its tests never import ZenML, BentoML, Feast or PyTorch: those are the stack's
dependencies. A functional test builds a stack, then runs its code with the stack's interpreter
as a subprocess. :func:`stack_python` finds that interpreter (``MLOPSGEN_STACK_PYTHON`` names
it; without it the tests that need it are skipped, saying why). :func:`stack_environment` is
the environment every such process gets: ZenML, BentoML and Feast offline and quiet, their
state inside the stack directory (never the user's global configuration).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["STACK_PYTHON_VARIABLE", "run_in_stack", "run_json", "stack_environment", "stack_python"]

STACK_PYTHON_VARIABLE = "MLOPSGEN_STACK_PYTHON"


def stack_python() -> Path:
    """The interpreter of the stack environment, or skip the test naming the variable to set."""
    value = os.environ.get(STACK_PYTHON_VARIABLE)
    if not value:
        pytest.skip(f"{STACK_PYTHON_VARIABLE} is unset: no stack environment to run stacks in")
    path = Path(value)
    if not path.exists():
        pytest.fail(f"{STACK_PYTHON_VARIABLE}={value} does not exist")
    return path


def stack_environment(stack: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables a stack process runs with: offline, quiet, state kept in ``stack``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "BENTOML_"))}
    env.update(
        ZENML_ANALYTICS_OPT_IN="false",
        ZENML_CONFIG_PATH=str(stack / ".zenml"),
        ZENML_LOGGING_VERBOSITY="WARN",
        ZENML_ENABLE_RICH_TRACEBACK="false",
        BENTOML_DO_NOT_TRACK="True",
        BENTOML_HOME=str(stack.parent / f".bentoml-{stack.name}"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra or {})
    return env


def run_in_stack(
    stack: Path,
    args: Sequence[str],
    *,
    extra_env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``python args...`` with the stack's interpreter, in ``stack``, capturing output.

    Raises:
        AssertionError: ``check`` is set and the process failed (its output is shown).
    """
    done = subprocess.run(
        [str(stack_python()), *args],
        cwd=stack,
        env=stack_environment(stack, extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-8000:]}"
        )
    return done


def run_json(stack: Path, code: str, *, extra_env: Mapping[str, str] | None = None) -> Any:
    """Run ``code`` in the stack's interpreter and return the JSON its last output line holds.

    The code runs with the stack directory first on ``sys.path``, so it imports the stack's
    packages (``pipelines``, ...) as the stack's own entry points do.
    """
    done = run_in_stack(stack, ["-c", code], extra_env=extra_env)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"no output; stderr:\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])


if __name__ == "__main__":  # pragma: no cover - a manual aid: show the environment used
    print(json.dumps(stack_environment(Path(sys.argv[1])), indent=2, sort_keys=True))
