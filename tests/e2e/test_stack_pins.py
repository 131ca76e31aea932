"""Every reference stack's pins install on every Python the stack declares.

A stack's ``pyproject.toml`` says which Pythons it supports (``requires-python``, bounded) and
pins each dependency exactly. pip's resolver runs here in dry-run mode against the package
index for each declared minor version, so a pin with no release for one of them (as
``xgboost==3.4.1`` once was for 3.11) fails the suite instead of a user's ``make install``.

All stacks draw their pins from one table with one version per package, and their
``constraints.txt`` from one lock, so the union of the five pin sets holds no conflicting
pins; a resolution of the union, constrained by the union of their constraints, installs each
stack's subset too (the same versions serve), so one resolution per Python covers all five
stacks and checks that the lock, taken on one Python, installs on every declared one.
When it fails, each stack's set is resolved alone to name the stacks that cannot install.

pip resolves for another Python only from wheels. A pin published as an sdist alone
(``SDIST_ONLY``) is built into a wheel first; the test requires that wheel to be pure Python
(``py3-none-any``), which installs on every Python its metadata admits, so the resolution
stays exact for it too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.conftest import REPO

pytestmark = [pytest.mark.index, pytest.mark.slow]

STACKS = sorted(p.parent for p in (REPO / "generated").glob("*/pyproject.toml"))
#: Pinned packages with no wheel on the index: built locally, and required to be pure Python.
SDIST_ONLY = frozenset({"langdetect"})


def _project(stack: Path) -> dict[str, object]:
    with (stack / "pyproject.toml").open("rb") as handle:
        project: dict[str, object] = tomllib.load(handle)["project"]
    return project


def _pins(stack: Path) -> frozenset[str]:
    dependencies = _project(stack)["dependencies"]
    assert isinstance(dependencies, list)
    return frozenset(str(d) for d in dependencies)


def declared_minors(requires_python: str) -> list[str]:
    """The ``3.N`` versions a bounded ``requires-python`` admits."""
    specifier = SpecifierSet(requires_python)
    minors = [f"3.{n}" for n in range(0, 40) if specifier.contains(f"3.{n}")]
    assert minors, f"requires-python {requires_python!r} admits no Python 3 release"
    assert "3.39" not in minors, f"requires-python {requires_python!r} has no upper bound"
    return minors


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [sys.executable, "-m", "pip", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def pure_wheels(pins: frozenset[str], wheels: Path) -> Path:
    """Wheels of the sdist-only pins, built here; each must be pure Python."""
    wheels.mkdir(parents=True, exist_ok=True)
    sdist_only = sorted(p for p in pins if Requirement(p).name in SDIST_ONLY)
    if sdist_only:
        built = _pip("wheel", "--quiet", "--no-deps", "-w", str(wheels), *sdist_only)
        assert built.returncode == 0, built.stderr
    impure = [w.name for w in wheels.glob("*.whl") if not w.name.endswith("-py3-none-any.whl")]
    assert impure == [], f"built wheels that are not pure Python: {impure}"
    return wheels


def _constraints(stacks: list[Path], work: Path) -> Path:
    """One constraints file: the union of the stacks' ``constraints.txt``."""
    lines = set()
    for stack in stacks:
        text = (stack / "constraints.txt").read_text(encoding="utf-8")
        lines.update(line.split("#")[0].strip() for line in text.splitlines())
    path = work / "constraints.txt"
    work.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sorted(filter(None, lines))) + "\n", encoding="utf-8")
    return path


def resolve(
    pins: frozenset[str], python: str, work: Path, wheels: Path, constraints: Path
) -> tuple[bool, str]:
    """pip's resolver, without installing, for ``python`` on this platform: (ok, detail)."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    result = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--target",
        str(work / "target"),
        "--report",
        str(report),
        "--find-links",
        str(wheels),
        "--constraint",
        str(constraints),
        "--quiet",
        *sorted(pins),
    )
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "is ignored" not in line]
        return False, "\n".join(errors[-15:])
    installed = json.loads(report.read_text(encoding="utf-8"))["install"]
    return True, f"{len(installed)} distributions"


def test_stacks_pin_every_dependency_and_bound_their_python() -> None:
    assert len(STACKS) == 6  # five classic stacks and a language one
    for stack in STACKS:
        for pin in _pins(stack):
            assert len(Requirement(pin).specifier) == 1 and "==" in pin, (stack.name, pin)
        declared_minors(str(_project(stack)["requires-python"]))


def test_every_stack_resolves_on_every_declared_python(tmp_path: Path) -> None:
    pythons = sorted(
        {m for s in STACKS for m in declared_minors(str(_project(s)["requires-python"]))}
    )
    union = frozenset().union(*(_pins(s) for s in STACKS))
    names = [Requirement(p).name for p in union]
    assert len(names) == len(set(names)), f"two pins of one package: {sorted(union)}"
    wheels = pure_wheels(union, tmp_path / "wheels")
    locked = _constraints(STACKS, tmp_path / "lock")
    with ThreadPoolExecutor(max_workers=len(pythons)) as pool:
        outcomes = dict(
            zip(
                pythons,
                pool.map(
                    lambda py: resolve(union, py, tmp_path / f"all-{py}", wheels, locked), pythons
                ),
                strict=True,
            )
        )
    failed = [py for py, (ok, _) in outcomes.items() if not ok]
    if not failed:
        return
    cases = [(stack, py) for py in failed for stack in STACKS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        alone = pool.map(
            lambda case: resolve(
                _pins(case[0]),
                case[1],
                tmp_path / f"{case[0].name}-{case[1]}",
                wheels,
                _constraints([case[0]], tmp_path / f"{case[0].name}-{case[1]}-lock"),
            ),
            cases,
        )
        problems = [
            f"{stack.name} on Python {py}:\n{detail}"
            for (stack, py), (ok, detail) in zip(cases, alone, strict=True)
            if not ok
        ]
    union_errors = "\n".join(f"Python {py}: {outcomes[py][1]}" for py in failed)
    pytest.fail("pins that do not install:\n" + ("\n\n".join(problems) or union_errors))
