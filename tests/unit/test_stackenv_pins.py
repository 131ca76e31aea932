"""An environment's cache key changes with its pins and Python, and with nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.stackenv import EnvBuildError, EnvPins, read_stack_pins
from mlopsgen.stackenv.cache import ensure_env
from mlopsgen.stackenv.errors import failed_package, pip_error_lines
from mlopsgen.stackenv.pins import python_supported
from tests.conftest import REPO

BASE = EnvPins.of(["zenml[local]==0.98.0", "six==1.17.0"], ["numpy==2.4.6", "six==1.17.0"], "3.11")


def test_order_comments_and_blank_lines_do_not_change_the_key() -> None:
    same = EnvPins.of(
        ["# runtimes", "six==1.17.0", "", "zenml[local] == 0.98.0  # the pipelines"],
        ["six==1.17.0", "numpy==2.4.6"],
        "3.11",
    )
    assert same == BASE and same.digest() == BASE.digest()


@pytest.mark.parametrize(
    "other",
    [
        EnvPins.of(["zenml[local]==0.98.0", "six==1.16.0"], BASE.constraints, "3.11"),
        EnvPins.of(BASE.requirements, ["numpy==2.4.5", "six==1.17.0"], "3.11"),
        EnvPins.of(BASE.requirements, BASE.constraints, "3.12"),
        EnvPins.of(["zenml==0.98.0", "six==1.17.0"], BASE.constraints, "3.11"),
    ],
    ids=["requirement", "constraint", "python", "extras"],
)
def test_any_change_to_the_pins_or_python_changes_the_key(other: EnvPins) -> None:
    assert other.digest() != BASE.digest()


def test_a_union_holds_both_sets_once() -> None:
    union = BASE.union(EnvPins.of(["six==1.17.0", "lightgbm==4.7.0"], [], "3.11"))
    assert union.requirements == ("lightgbm==4.7.0", "six==1.17.0", "zenml[local]==0.98.0")
    with pytest.raises(ValueError, match="cannot share"):
        BASE.union(EnvPins.of([], [], "3.12"))


def test_a_built_stack_gives_its_pyproject_and_constraints() -> None:
    pins = read_stack_pins(REPO / "generated" / "fraud-detection", "3.11")
    assert "zenml[local]==0.98.0" in pins.requirements
    assert "numpy==2.4.6" in pins.constraints and "torch==2.13.0" not in pins.constraints


@pytest.mark.parametrize(
    ("python", "supported"), [("3.10", False), ("3.11", True), ("3.12", True), ("3.13", False)]
)
def test_the_stacks_python_range_is_read_as_pip_reads_it(python: str, supported: bool) -> None:
    assert python_supported(">=3.11,<3.13", python) is supported
    assert python_supported("", python)


def test_an_unsupported_python_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    stack = read_stack_pins(REPO / "generated" / "fraud-detection", "3.13")
    assert stack.requires_python == ">=3.11,<3.13"
    with pytest.raises(EnvBuildError, match=r"supports Python >=3\.11,<3\.13, not 3\.13"):
        ensure_env(stack, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_directory_without_a_stack_says_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(EnvBuildError, match=r"pyproject\.toml") as raised:
        read_stack_pins(tmp_path)
    assert raised.value.hint is not None and "mlopsgen build" in raised.value.hint


#: pip's own words (pip 23 and 26), as a failed install prints them.
PIP_OUTPUTS = [
    (
        "ERROR: Could not find a version that satisfies the requirement bentoml==1.4.39 "
        "(from versions: none)\nERROR: No matching distribution found for bentoml==1.4.39\n",
        "bentoml==1.4.39",
    ),
    (
        "  error: subprocess-exited-with-error\n\n  \N{MULTIPLICATION SIGN} Building wheel for "
        "langdetect (pyproject.toml) did not run successfully.\n  ERROR: Failed building wheel for "
        "langdetect\nFailed to build langdetect\nERROR: Could not build wheels for langdetect",
        "langdetect",
    ),
    (
        "ERROR: Cannot install six==1.17.0 because these package versions have conflicting "
        "dependencies.\nERROR: ResolutionImpossible: for help visit ...",
        "six==1.17.0",
    ),
    ("WARNING: Retrying (Retry(total=4)) after connection broken\nKilled\n", None),
]


@pytest.mark.parametrize(("output", "package"), PIP_OUTPUTS, ids=["none", "build", "clash", "?"])
def test_the_package_pip_blames_is_found(output: str, package: str | None) -> None:
    assert failed_package(output) == package


def test_only_pips_error_lines_are_kept() -> None:
    lines = pip_error_lines(PIP_OUTPUTS[0][0] + "Collecting six\n")
    assert lines == [line for line in PIP_OUTPUTS[0][0].splitlines() if line]
