"""Run code in a generated stack's own Python environment, never in the test's process.

The compiler and its tests never import ZenML, BentoML, Feast or PyTorch: those are the stack's
dependencies. A functional test builds a stack, then runs its code with the stack's interpreter
as a subprocess. :func:`stack_python` finds that interpreter: the one ``MLOPSGEN_STACK_PYTHON``
names, else the tier's shared environment, which :func:`shared_env_pins` defines (the union of
the five reference stacks' pins and lock, plus the tools the tests use in it) and
:func:`mlopsgen.stackenv.ensure_env` builds once and caches by the hash of those pins, so a
second session installs nothing. The session then sets ``MLOPSGEN_STACK_PYTHON`` itself, so
``mlopsgen run`` in a test's subprocess uses the same environment instead of building one per
stack. :func:`stack_environment` is the environment every such process gets: ZenML, BentoML
and Feast offline and quiet, their state inside the stack directory (never the user's global
configuration).

``python -m tests.functional.stack_env`` builds (or finds) the shared environment and prints
its interpreter; CI runs it before the tier so the build shows up as a step of its own.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.run.runner import run_environment
from mlopsgen.stackenv import EnvBuildError, EnvPins, EnvResult, ensure_env, read_stack_pins
from mlopsgen.targets.core.lock import load_lock

__all__ = [
    "STACK_PYTHON_VARIABLE",
    "run_in_stack",
    "run_json",
    "shared_env",
    "shared_env_pins",
    "stack_environment",
    "stack_python",
]

STACK_PYTHON_VARIABLE = "MLOPSGEN_STACK_PYTHON"
REPO = Path(__file__).resolve().parents[2]
TEST_REQUIREMENTS = Path(__file__).with_name("stack-test-requirements.txt")


def shared_env_pins(generated: Path = REPO / "generated") -> EnvPins:
    """The tier's one environment: every reference stack's pins, plus the test tools, all locked.

    The stacks draw their pins and constraints from one table and one lock, so the union has
    one version per package (the e2e pins test checks it resolves on every declared Python).
    """
    stacks = sorted(p.parent for p in generated.glob("*/pyproject.toml"))
    if not stacks:
        raise EnvBuildError(f"no built stacks under {generated}", "run make regen")
    pins = read_stack_pins(stacks[0])
    for stack in stacks[1:]:
        pins = pins.union(read_stack_pins(stack))
    tools = TEST_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    lock = [entry.pin for entry in load_lock().values()]  # what the tools pull in from it
    return pins.union(EnvPins.of(tools, lock))


@functools.cache
def shared_env() -> EnvResult:
    """The shared environment, built on first use in the session (minutes when cold)."""
    return ensure_env(shared_env_pins())


def stack_python() -> Path:
    """The interpreter of the stack environment: ``MLOPSGEN_STACK_PYTHON``, else the shared one.

    Fails the test (never skips it) when the environment cannot be built, naming the package
    pip could not install.
    """
    value = os.environ.get(STACK_PYTHON_VARIABLE)
    if value:
        path = Path(value)
        if not path.exists():
            pytest.fail(f"{STACK_PYTHON_VARIABLE}={value} does not exist")
        return path
    try:
        env = shared_env()
    except EnvBuildError as exc:
        pytest.fail(f"{exc}\nhint: {exc.hint}" if exc.hint else str(exc))
    os.environ[STACK_PYTHON_VARIABLE] = str(env.python)  # `mlopsgen run` in subprocesses
    return env.python


def stack_environment(stack: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables a stack process runs with: offline, quiet, state kept in ``stack``."""
    env = run_environment(stack)  # what `mlopsgen run` gives the pipelines
    env.update(
        BENTOML_HOME=str(stack.parent / f".bentoml-{stack.name}"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    # One OpenMP thread per process: the tier runs on a few shared cores, where OpenMP's
    # spinning worker threads (scikit-learn's histogram boosting) make a fit ten times slower.
    env.setdefault("OMP_NUM_THREADS", "1")
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


def main() -> None:
    """Build or find the shared environment; print its interpreter and what that took."""
    given = os.environ.get(STACK_PYTHON_VARIABLE)
    if given:
        print(f"stack environment: {STACK_PYTHON_VARIABLE}={given}", file=sys.stderr)
        print(given)
        return
    started = time.monotonic()
    try:
        env = shared_env()
    except EnvBuildError as exc:
        sys.exit(f"error: {exc}" + (f"\n  hint: {exc.hint}" if exc.hint else ""))
    how = "built" if env.built else "reused from the cache"
    print(
        f"stack environment {env.digest}: {how} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    print(env.python)


if __name__ == "__main__":  # pragma: no cover - CI's build step, and a manual aid
    main()
