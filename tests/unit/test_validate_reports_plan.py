"""``validate`` reports exactly what ``plan`` and ``build`` report, warnings included.

A spec that validates cleanly must plan and build without a new finding, so ``validate``
runs the planner's feasibility checks too. Compared here for every reference spec and every
invalid spec, in the library and through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlopsgen.build import compile_stack
from mlopsgen.cli import app
from mlopsgen.diagnostics import Diagnostic, SpecError
from mlopsgen.plan import build_plan
from mlopsgen.spec.loader import load_spec
from mlopsgen.validation import validate_spec
from tests.conftest import REFERENCE_SPECS, REPO, SPECS

INVALID = sorted((SPECS / "invalid").glob("*.yaml"))
runner = CliRunner()

Key = tuple[str, str, str, str | None, tuple[str | int, ...], int | None, int | None]


def keys(diagnostics: list[Diagnostic]) -> list[Key]:
    """What a user reads of each diagnostic (the file name aside), in a stable order."""
    return sorted(
        (
            d.level.value,
            d.code,
            d.message,
            d.hint,
            d.path,
            d.span.line if d.span else None,
            d.span.column if d.span else None,
        )
        for d in diagnostics
    )


def planned(path: Path) -> list[Diagnostic]:
    """The diagnostics ``mlopsgen plan`` prints: the spec's, then the planner's."""
    try:
        loaded = load_spec(path)
    except SpecError as exc:
        return exc.diagnostics
    return [*loaded.warnings, *build_plan(loaded).diagnostics]


def built(path: Path, out: Path) -> list[Diagnostic]:
    """The diagnostics ``mlopsgen build`` prints."""
    try:
        return compile_stack(path, out).diagnostics
    except SpecError as exc:
        return exc.diagnostics


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("path", [*REFERENCE_SPECS, *INVALID], ids=lambda p: p.name)
def test_validate_reports_what_plan_and_build_report(path: Path, tmp_path: Path) -> None:
    relative = path.relative_to(REPO)
    validated = keys(validate_spec(relative).diagnostics)
    assert validated == keys(planned(relative))
    assert validated == keys(built(relative, tmp_path / "out"))


def test_fraud_detection_validates_with_the_plan_warning() -> None:
    spec = SPECS / "fraud-detection.yaml"
    text = runner.invoke(app, ["validate", str(spec)])
    plan = runner.invoke(app, ["plan", str(spec)])
    assert "warning[W503]" in text.stderr
    assert text.stderr == plan.stderr
    assert "1 warning" in text.stdout
    data = json.loads(runner.invoke(app, ["validate", "--format", "json", str(spec)]).stdout)
    assert [d["code"] for d in data[0]["diagnostics"]] == ["W503"]


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=lambda p: p.stem)
def test_cli_validate_prints_the_diagnostics_plan_prints(spec: Path) -> None:
    validated = runner.invoke(app, ["validate", str(spec)])
    plan = runner.invoke(app, ["plan", str(spec)])
    assert validated.stderr == plan.stderr


def test_a_planning_error_fails_validate(tmp_path: Path) -> None:
    spec = tmp_path / "four-zones.yaml"
    text = (SPECS / "fraud-detection.yaml").read_text(encoding="utf-8")
    spec.write_text(text.replace("zones: 3", "zones: 4"), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--format", "json", str(spec)])
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)
    assert entry["valid"] is False
    assert {d["code"] for d in entry["diagnostics"]} == {"E503", "W503"}


def test_the_json_carries_each_fix_as_edits() -> None:
    spec = SPECS / "fraud-detection.yaml"
    data = json.loads(runner.invoke(app, ["validate", "--format", "json", str(spec)]).stdout)
    (warning,) = data[0]["diagnostics"]
    assert warning["fix"] == [{"op": "set", "path": "slo.availability", "value": 99.95}]
