"""The stack lock pins every runtime package once, and each stack gets the part it needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mlopsgen.render.errors import RenderError
from mlopsgen.targets.core.lock import (
    LockEntry,
    constraints_for,
    load_lock,
    parse_lock,
    requirement_name,
)
from tests.conftest import REPO

STACKS = sorted(p.parent for p in (REPO / "generated").glob("*/pyproject.toml"))
#: Tools of the stacks' tests, pinned for the test tier, never part of a stack's runtime.
TEST_TOOLS = ("moto", "ruff", "pandas-stubs", "kubernetes-validate", "responses")


def _requirements(stack: Path) -> list[str]:
    with (stack / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def _constraint_names(stack: Path) -> set[str]:
    lines = (stack / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return {requirement_name(line.split("#")[0])[0] for line in lines if line[:1].isalnum()}


def test_the_lock_holds_runtimes_and_no_test_tools() -> None:
    lock = load_lock()
    assert len(lock) > 100
    assert lock["zenml"].version == "0.98.0" and lock["zenml"].roots == {"zenml"}
    assert "numpy" in lock and {"xgboost-cpu", "scikit-learn"} <= lock["numpy"].roots
    assert not set(TEST_TOOLS) & set(lock)
    assert lock["torch"].version == "2.13.0", "pinned without +cpu, so the CUDA-free build serves"


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_every_stack_requirement_is_a_root_of_the_lock_at_its_version(stack: Path) -> None:
    lock = load_lock()
    for requirement in _requirements(stack):
        name, version = requirement_name(requirement)
        assert name in lock, f"{requirement} is not in the stack lock: regenerate it"
        assert lock[name].version == version
        assert name in lock[name].roots


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_each_stack_constrains_exactly_what_its_requirements_pull_in(stack: Path) -> None:
    requirements = {requirement_name(r)[0] for r in _requirements(stack)}
    expected = {e.name for e in load_lock().values() if e.roots & requirements}
    assert _constraint_names(stack) == expected
    assert requirements <= expected


def test_a_stack_without_torch_is_not_constrained_by_its_dependencies() -> None:
    fraud = _constraint_names(REPO / "generated" / "fraud-detection")
    vision = _constraint_names(REPO / "generated" / "computer-vision")
    # what torch pulls in and no other root but peft (which itself needs torch)
    torch_only = {e.name for e in load_lock().values() if e.roots - {"peft"} == {"torch"}}
    assert torch_only and torch_only <= vision and not torch_only & fraud


def test_a_requirement_the_lock_pins_differently_fails_the_render() -> None:
    with pytest.raises(RenderError, match=r"zenml\[local\]==0\.97\.0 disagrees .* zenml==0\.98"):
        constraints_for(["zenml[local]==0.97.0"])


def test_a_requirement_unknown_to_the_lock_is_kept_unconstrained() -> None:
    lock = {"a": LockEntry("a", "1.0", frozenset({"a"})), "b": LockEntry("b", "2", frozenset())}
    assert [e.pin for e in constraints_for(["a==1.0", "c==3"], lock)] == ["a==1.0"]


@pytest.mark.parametrize(
    "text",
    ["numpy>=2  # via x", "numpy==2.4.6", "numpy==2.4.6  # because x"],
    ids=["not-exact", "no-roots", "no-via"],
)
def test_a_malformed_lock_line_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lock(text)


def test_names_compare_as_pip_compares_them() -> None:
    assert requirement_name("Jinja2==3.1.6") == ("jinja2", "3.1.6")
    assert requirement_name("zenml[local]==0.98.0") == ("zenml", "0.98.0")
    assert requirement_name("typing_extensions==4.16.0") == ("typing-extensions", "4.16.0")
