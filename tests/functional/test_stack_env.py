"""The functional tier's stack environment holds exactly the locked versions, and runs stacks.

Every stack's pins and constraints come from one table and one lock; the tier's shared
environment (``stack_env.shared_env``, or ``MLOPSGEN_STACK_PYTHON``) must hold each pinned
package at its locked version, pass ``pip check``, carry PyTorch's CPU build, and be what
``mlopsgen run`` uses in a test's subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mlopsgen.targets.core.lock import canonical, requirement_name
from tests.functional.stack_env import STACK_PYTHON_VARIABLE, shared_env_pins, stack_python


def _installed(python: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {canonical(p["name"]): p["version"] for p in json.loads(listed.stdout)}


def test_the_environment_holds_every_pin_at_its_locked_version() -> None:
    python = stack_python()
    installed = _installed(python)
    pins = shared_env_pins()
    wrong = []
    for line in (*pins.requirements, *pins.constraints):
        name, version = requirement_name(line)
        have = installed.get(name)
        if have is None and line in pins.constraints:
            continue  # a constraint only binds what something installs
        if have is None or have.split("+")[0] != version:
            wrong.append(f"{line}: installed {have}")
    assert wrong == []
    assert installed["torch"].endswith("+cpu"), "a CUDA build of PyTorch was installed"
    check = subprocess.run(
        [str(python), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout


def test_subprocesses_of_the_tests_are_pointed_at_the_same_environment() -> None:
    """``mlopsgen run`` in a test's subprocess reads the variable instead of building its own."""
    python = stack_python()
    assert os.environ[STACK_PYTHON_VARIABLE] == str(python)
