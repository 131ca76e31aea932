"""The CLI, run in-process: exit codes, summaries, errors without tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlopsgen import __version__
from mlopsgen.cli import app
from tests.conftest import REFERENCE_SPECS, REPO, SPECS

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mlopsgen {__version__}"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "plan", "build", "diff", "init", "examples", "schema"):
        assert command in result.stdout


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=lambda p: p.stem)
def test_validate_reference_spec(spec: Path) -> None:
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"✓ {spec}: {spec.stem}")


def test_validate_reports_all_errors_with_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (SPECS / "nlp.yaml").read_text()
    text = text.replace("latency_p95_ms: 100", "latency_p95_ms: 0")
    text = text.replace("  availability: 99.9", "  availabilty: 99.9")
    bad.write_text(text)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: error\[E204\]", result.stderr)
    assert "did you mean 'availability'?" in result.stderr
    assert "Traceback" not in result.output


def test_validate_json_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec_version: 1\nsystem: 3\n")
    result = runner.invoke(app, ["validate", "--format", "json", str(bad), str(SPECS / "nlp.yaml")])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [entry["valid"] for entry in data] == [False, True]
    first = data[0]["diagnostics"][0]
    assert first["file"] == str(bad) and first["line"] >= 1 and first["column"] >= 1


def test_validate_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no such file" in result.stdout
    assert "is a directory" in result.stdout


def test_validate_rejects_unknown_format() -> None:
    result = runner.invoke(app, ["validate", "--format", "xml", str(REFERENCE_SPECS[0])])
    assert result.exit_code == 2


def test_schema_is_checked_in_and_fresh() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    committed = (SPECS / "schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, "specs/schema.json is stale: run `make schema`"


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=lambda p: p.stem)
def test_reference_specs_point_editors_at_the_schema(spec: Path) -> None:
    first = spec.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema.json"


def test_examples_lists_the_five_reference_systems() -> None:
    result = runner.invoke(app, ["examples"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [
        "computer-vision",
        "fraud-detection",
        "nlp",
        "recommendation",
        "time-series-forecasting",
    ]


def test_init_scaffolds_a_valid_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "churn-model", "--no-input", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    project = tmp_path / "churn-model"
    assert sorted(p.name for p in project.iterdir()) == [
        "Makefile",
        "README.md",
        "schema.json",
        "spec.yaml",
    ]
    check = runner.invoke(app, ["validate", str(project / "spec.yaml")])
    assert check.exit_code == 0, check.output
    assert "churn-model" in check.stdout


def test_init_from_example_renames_the_system(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["init", "my-fraud", "--from", "fraud-detection", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "my-fraud" / "spec.yaml").read_text()
    assert "  name: my-fraud\n" in text
    assert "fraud-detection" not in text.split("system:")[1].split("slo:")[0]


def test_init_prompts_and_escapes_answers(tmp_path: Path) -> None:
    answers = 'Says "hi" and: {bad} # not a comment\nteam@example.com\n2\n80\n99.9\n250\n'
    result = runner.invoke(app, ["init", "prompted", "--out", str(tmp_path)], input=answers)
    assert result.exit_code == 0, result.output
    from mlopsgen.spec.loader import load_spec

    loaded = load_spec(tmp_path / "prompted" / "spec.yaml")
    assert loaded.spec.system.description == 'Says "hi" and: {bad} # not a comment'
    assert loaded.spec.infrastructure.cloud == "aws"
    assert loaded.spec.slo.latency_p95_ms == 80


@pytest.mark.parametrize("name", ["../escape", "Bad_Name", "x", "a" * 50])
def test_init_rejects_bad_names(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, ["init", name, "--no-input", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["init", "taken", "--no-input", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def test_init_with_invalid_answers_leaves_nothing(tmp_path: Path) -> None:
    answers = "d\no\n1\nnot-a-number\n99.9\n10\n"
    result = runner.invoke(app, ["init", "broken", "--out", str(tmp_path)], input=answers)
    assert result.exit_code == 1
    assert "latency_p95_ms" in result.stderr
    assert not (tmp_path / "broken").exists()


def test_init_unknown_example(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "abc", "--from", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "fraud-detection" in result.stderr


def test_readme_spec_example_is_valid(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert match is not None
    spec = tmp_path / "readme.yaml"
    spec.write_text(match.group(1))
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 0, result.output


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make demo" in readme
    assert ci.strip().splitlines()[-1] == "make test"


def test_oversized_file_is_rejected_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * 300_000)
    result = runner.invoke(app, ["validate", str(big)])
    assert result.exit_code == 1
    assert "larger than 1,000,000 bytes" in result.stderr


def test_symlink_loop_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    result = runner.invoke(app, ["validate", str(tmp_path / "a.yaml")])
    assert result.exit_code == 2
    assert "symbolic link" in result.stdout
