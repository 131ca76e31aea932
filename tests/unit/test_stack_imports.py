"""Every package a stack's modules import when they load is one its own install provides.

``make install`` installs a stack's ``pyproject.toml`` under its ``constraints.txt``, which
lists every package that install brings. A module-level import of anything else works in a
shared environment that happens to hold it and fails in the stack's own: the language
service's FastAPI app once did. The family modules of ``pipelines/families/`` are left out:
each is imported only for a model of its task, which brings its framework.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

STACKS = sorted(p.parent for p in (REPO / "generated").glob("*/constraints.txt"))
#: Import names that differ from their distribution's.
DISTRIBUTIONS = {"yaml": "pyyaml", "sklearn": "scikit-learn", "xgboost": "xgboost-cpu",
                 "PIL": "pillow", "dateutil": "python-dateutil"}  # fmt: skip
#: The stack's own packages.
LOCAL = {"pipelines", "services", "features", "__future__"}
#: Loaded by model task, never at import of the package.
FAMILIES = "pipelines/families/"


def _installed(stack: Path) -> set[str]:
    lines = (stack / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return {_canonical(re.split(r"[=<>\[ ]", line)[0]) for line in lines if line[:1].isalnum()}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-")


def _loaded_at_import(path: Path) -> set[str]:
    """Top-level packages a module imports as it loads (its body, not its functions)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {n for n in found if n not in sys.stdlib_module_names and n not in LOCAL}


def test_there_are_stacks_to_check() -> None:
    assert len(STACKS) == 6


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_module_imports_are_installed_by_the_stack(stack: Path) -> None:
    installed = _installed(stack)
    missing = {
        f"{path.relative_to(stack).as_posix()}: {name}"
        for path in stack.rglob("*.py")
        if not path.relative_to(stack).as_posix().startswith(FAMILIES)
        for name in _loaded_at_import(path)
        if _canonical(DISTRIBUTIONS.get(name, name)) not in installed
    }
    assert not missing, f"imported but not installed by {stack.name}'s pins: {sorted(missing)}"
