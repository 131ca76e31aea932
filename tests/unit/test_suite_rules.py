"""Rules of the test suite itself: no outcome may depend on how fast the machine is.

A test that asserts a duration, compares a clock reading, gives up after a timeout or runs
under a Hypothesis deadline fails on a cold cache or a busy machine while the code is right.
Speed targets live in ``bench/``; this module reads every test file's syntax tree and fails
on any of those patterns, and checks that it recognises them in examples of each.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

TIMERS = frozenset(
    f"{prefix}{name}{suffix}"
    for prefix in ("time.", "")
    for name in ("time", "perf_counter", "monotonic", "process_time", "thread_time")
    for suffix in ("", "_ns")
) - {"time"}
TEST_FILES = sorted((REPO / "tests").rglob("*.py"))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


class _Clock:
    """Which names and local functions carry a clock reading, found to a fixed point."""

    def __init__(self, tree: ast.Module) -> None:
        self.functions: set[str] = set()
        self.names: set[str] = set()
        changed = True
        while changed:
            before = (len(self.functions), len(self.names))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    returns = [r.value for r in ast.walk(node) if isinstance(r, ast.Return)]
                    if any(v is not None and self.reads(v) for v in returns):
                        self.functions.add(node.name)
                elif (
                    isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
                    and node.value is not None
                    and self.reads(node.value)
                ):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    self.names.update(
                        n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                    )
            changed = (len(self.functions), len(self.names)) != before

    def reads(self, expr: ast.AST) -> bool:
        """Whether ``expr`` contains a clock reading or a value derived from one."""
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                if name in TIMERS or name in self.functions:
                    return True
            if isinstance(node, ast.Name) and node.id in self.names:
                return True
        return False


def violations(source: str) -> list[str]:
    """Every place in ``source`` where a test's outcome would depend on the machine's speed."""
    tree = ast.parse(source)
    clock = _Clock(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Assert) and clock.reads(node.test):
            found.append(f"line {line}: assertion on a clock reading")
        elif isinstance(node, ast.Compare) and clock.reads(node):
            found.append(f"line {line}: comparison with a clock reading")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                unset = isinstance(value, ast.Constant) and value.value is None
                if keyword.arg in ("deadline", "timeout") and not unset:
                    found.append(f"line {line}: {keyword.arg}= other than None")
                if keyword.arg == "suppress_health_check" and "too_slow" not in ast.unparse(value):
                    found.append(f"line {line}: suppress_health_check without too_slow")
    return sorted(set(found))


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_outcome_depends_on_the_machine_speed(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


BAD = {
    "a timed call": """
import time
def test_x():
    start = time.perf_counter()
    work()
    assert time.perf_counter() - start < 2.0
""",
    "a timing helper": """
import time
def _timed(spec):
    start = time.perf_counter()
    plan(spec)
    return time.perf_counter() - start
def test_x():
    best = min(_timed(s) for _ in range(3))
    assert best < 0.25
""",
    "a wait with a deadline": """
from time import monotonic
def wait():
    end = monotonic() + 60
    while monotonic() < end:
        poll()
    raise AssertionError("never")
""",
    "a hypothesis deadline": """
from hypothesis import settings
@settings(max_examples=10, deadline=200)
def test_x(): ...
""",
    "a subprocess timeout": """
import subprocess
def test_x():
    subprocess.run(["true"], timeout=5)
""",
    "a health check list that drops too_slow": """
from hypothesis import HealthCheck, settings
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_x(tmp_path): ...
""",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_speed_dependence_is_recognised(name: str) -> None:
    assert violations(BAD[name]) != []


def test_clock_readings_that_decide_nothing_are_allowed() -> None:
    source = """
import time, random
from hypothesis import HealthCheck, settings
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_x():
    started = time.monotonic()
    run()
    duration = time.monotonic() - started
    time.sleep(random.uniform(0.0, duration * 1.3))
    assert state() in ("previous", "new")
"""
    assert violations(source) == []
