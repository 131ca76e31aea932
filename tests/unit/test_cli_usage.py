"""What the CLI tells a user about itself: help texts, file errors, finding decisions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from mlopsgen.cli import app
from tests.conftest import SPECS

runner = CliRunner()
FRAUD = SPECS / "fraud-detection.yaml"
COMMANDS = ["validate", "schema", "examples", "init", "plan", "build", "diff"]


def _options(command: str) -> list[TyperOption]:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    sub = group.commands[command]
    return [p for p in sub.params if isinstance(p, TyperOption) and p.name != "help"]


def _help_entry(help_text: str, option: str) -> str:
    """The help line(s) of one option: from its name to the next option or the end."""
    match = re.search(rf"^  {re.escape(option)}\b(.*?)(?=^  --|\Z)", help_text, re.M | re.S)
    assert match is not None, f"{option} missing from help:\n{help_text}"
    return option + match.group(1)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_flags_as_flags_and_values_with_a_placeholder(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    for option in _options(command):
        name = option.opts[0]
        entry = _help_entry(result.stdout, name)
        after_name = entry[len(name) :]
        if option.is_flag:
            assert re.match(r"\s{2,}\w", after_name), f"{name} is shown taking a value: {entry!r}"
        else:
            assert re.match(r" \S+\s{2,}", after_name), f"{name} shows no placeholder: {entry!r}"


@pytest.mark.parametrize("command", ["build", "diff"])
def test_help_shows_the_default_output_directory(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    entry = " ".join(_help_entry(result.stdout, "--out").split())
    assert "[default: generated/<system>]" in entry


def test_every_flag_in_the_root_help_is_a_flag() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout
    assert re.search(r"^  --version\s{2,}Show version", result.stdout, re.M)


def test_missing_spec_is_named_once_with_its_hint(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0] == f"✗ {missing}: no such file"
    assert lines[1].startswith("  hint: check the path")
    assert result.stdout.count(str(missing)) == 1


def test_missing_spec_in_json_names_the_file_once_and_carries_the_hint(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["validate", "--format", "json", str(missing)])
    assert result.exit_code == 2
    (entry,) = json.loads(result.stdout)
    assert entry["error"] == f"{missing}: no such file"
    assert entry["hint"].startswith("check the path")


def test_unknown_decision_points_at_the_list_of_names() -> None:
    result = runner.invoke(app, ["plan", str(FRAUD), "--explain", "nonsense"])
    assert result.exit_code == 2
    assert "no decision named 'nonsense'" in result.stderr
    assert "--list-decisions" in result.stderr
    help_text = runner.invoke(app, ["plan", "--help"]).stdout
    assert "--list-decisions" in _help_entry(help_text, "--explain").replace("\n", " ")


def test_list_decisions_names_every_decision_and_each_explains() -> None:
    from mlopsgen.plan import build_plan
    from mlopsgen.spec.loader import load_spec

    plan = build_plan(load_spec(FRAUD)).plan
    result = runner.invoke(app, ["plan", str(FRAUD), "--list-decisions"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [d.name for d in plan.decisions]
    assert "serving.replicas" in names
    explained = runner.invoke(app, ["plan", str(FRAUD), "--explain", names[-1]])
    assert explained.exit_code == 0, explained.output
    as_json = runner.invoke(app, ["plan", str(FRAUD), "--list-decisions", "--json"])
    assert json.loads(as_json.stdout) == names


def test_explain_with_json_prints_the_selected_decisions_as_json() -> None:
    one = runner.invoke(app, ["plan", str(FRAUD), "--json", "--explain", "serving.replicas"])
    assert one.exit_code == 0, one.output
    (decision,) = json.loads(one.stdout)
    assert decision["name"] == "serving.replicas"
    assert {"formula", "computed", "inputs", "sources", "reason", "value"} <= set(decision)
    whole = json.loads(runner.invoke(app, ["plan", str(FRAUD), "--json"]).stdout)
    assert decision in whole["decisions"]
    prefix = runner.invoke(app, ["plan", str(FRAUD), "--explain", "serving.hpa", "--json"])
    names = [d["name"] for d in json.loads(prefix.stdout)]
    assert names and all(n.startswith("serving.hpa.") for n in names)


def test_explain_and_list_decisions_do_not_combine() -> None:
    result = runner.invoke(
        app, ["plan", str(FRAUD), "--list-decisions", "--explain", "serving.replicas"]
    )
    assert result.exit_code == 2
    assert "do not combine" in result.stderr
