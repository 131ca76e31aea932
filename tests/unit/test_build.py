"""The build engine end to end, in-process: golden record, determinism, check, diff, safety."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mlopsgen import __version__
from mlopsgen.build import compile_stack
from mlopsgen.cli import app
from mlopsgen.output.writer import MANIFEST_NAME
from mlopsgen.plan import plan_json
from tests.conftest import LANGUAGE_SPECS, REFERENCE_SPECS, REPO

#: Every spec whose stack is committed under generated/: the classic ones and the language ones.
BUILT_SPECS = [*REFERENCE_SPECS, *LANGUAGE_SPECS]

runner = CliRunner()
REGEN = "run `make regen` and commit generated/"


def _system(spec: Path) -> str:
    return str(yaml.safe_load(spec.read_text(encoding="utf-8"))["system"]["name"])


def _disk_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME
    }


@pytest.mark.parametrize("spec", BUILT_SPECS, ids=lambda p: p.stem)
def test_golden_record_is_up_to_date(spec: Path) -> None:
    golden = REPO / "generated" / _system(spec)
    compiled = compile_stack(spec, golden)
    on_disk = _disk_tree(golden)
    assert sorted(on_disk) == sorted(compiled.tree), f"file list differs: {REGEN}"
    for path, text in compiled.tree.items():
        assert on_disk[path] == text, f"{golden / path} is stale: {REGEN}"


def test_golden_record_has_one_stack_per_reference_spec() -> None:
    stacks = sorted(p.name for p in (REPO / "generated").iterdir() if p.is_dir())
    assert stacks == sorted(_system(s) for s in BUILT_SPECS), REGEN


_BUILD_ALL = """
import sys
from pathlib import Path
from mlopsgen.build import build_stack
out = Path(sys.argv[1])
for spec in sys.argv[2:]:
    build_stack(Path(spec), out / Path(spec).stem)
"""


def _build_in_a_process(out: Path, hash_seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    specs = [str(spec) for spec in BUILT_SPECS]
    command = [sys.executable, "-c", _BUILD_ALL, str(out), *specs]
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=out.parent)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_two_builds_give_identical_bytes(tmp_path: Path) -> None:
    """Whole processes with different hash seeds: set and dict order cannot leak into output."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _build_in_a_process(tmp_path / "a" / "out", "1")
    second = _build_in_a_process(tmp_path / "b" / "out", "4242")
    manifests = [path for path in first if path.endswith(MANIFEST_NAME)]
    assert len(manifests) == len(BUILT_SPECS)
    assert first == second


def _shuffled(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        items = list(data.items())
        rng.shuffle(items)
        return {key: _shuffled(value, rng) for key, value in items}
    if isinstance(data, list):
        return [_shuffled(item, rng) for item in data]
    return data


@pytest.mark.parametrize("spec", BUILT_SPECS, ids=lambda p: p.stem)
@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_key_order_gives_identical_output(spec: Path, seed: int, tmp_path: Path) -> None:
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    shuffled_dir = tmp_path / spec.parent.relative_to(REPO)  # specs/ or specs/llm/, as the original
    shuffled_dir.mkdir(parents=True)
    shuffled = shuffled_dir / spec.name
    shuffled.write_text(yaml.safe_dump(_shuffled(data, random.Random(seed)), sort_keys=False))
    out = tmp_path / "generated" / "x"
    original = compile_stack(spec, REPO / "generated" / "x").tree
    reordered = compile_stack(shuffled, out).tree
    assert reordered == original


def test_output_names_the_spec_relative_to_the_output(tmp_path: Path) -> None:
    spec = REPO / "specs" / "nlp.yaml"
    compiled = compile_stack(spec, REPO / "generated" / "nlp")
    assert compiled.plan.system.spec_file == "../../specs/nlp.yaml"
    assert "SPEC   ?= ../../specs/nlp.yaml" in compiled.tree["Makefile"]


@pytest.mark.parametrize("spec", BUILT_SPECS, ids=lambda p: p.stem)
def test_every_stack_has_readme_plan_pyproject_makefile(spec: Path, tmp_path: Path) -> None:
    compiled = compile_stack(spec, tmp_path / "out")
    tree = compiled.tree
    assert {"README.md", "plan.json", "pyproject.toml", "Makefile"} <= set(tree)
    assert json.loads(tree["plan.json"]) == json.loads(plan_json(compiled.plan))
    project = tomllib.loads(tree["pyproject.toml"])
    assert project["project"]["name"] == f"{compiled.plan.system.name}-stack"
    assert any(req.startswith("zenml[local]==") for req in project["project"]["dependencies"])
    readme = tree["README.md"]
    assert "```mermaid\nflowchart LR\n" in readme
    for decision in compiled.plan.decisions:
        assert f"`{decision.name}`" in readme
    for heading in ("## Architecture", "## Decisions", "## Run locally", "## Deploy"):
        assert heading in readme


@pytest.mark.parametrize("spec", BUILT_SPECS, ids=lambda p: p.stem)
def test_every_file_carries_the_provenance_header(spec: Path, tmp_path: Path) -> None:
    compiled = compile_stack(spec, tmp_path / "out")
    digest = compiled.loaded.sha256
    for path, text in compiled.tree.items():
        if path.endswith(".json"):
            data = json.loads(text)
            assert data["system"]["spec_sha256"] == digest
            assert data["generator_version"] == __version__
        else:
            lines = text.splitlines()
            if lines and lines[0].startswith("#!"):  # a script's interpreter line comes first
                lines = lines[1:]
            head = "\n".join(lines[:2])
            assert "Generated by mlopsgen" in head and f"spec sha256 {digest}" in head, path


def test_build_check_and_diff_through_the_cli(tmp_path: Path) -> None:
    spec = str(REPO / "specs" / "recommendation.yaml")
    out = tmp_path / "stack"
    stale = runner.invoke(app, ["build", spec, "--out", str(out), "--check"])
    assert stale.exit_code == 1
    assert "+++ b/README.md" in stale.stdout
    built = runner.invoke(app, ["build", spec, "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert "create     README.md" in built.stdout
    fresh = runner.invoke(app, ["build", spec, "--out", str(out), "--check"])
    assert fresh.exit_code == 0 and "up to date" in fresh.stdout
    assert runner.invoke(app, ["diff", spec, "--out", str(out)]).stdout == "no changes\n"
    (out / "plan.json").write_text("{}\n")
    changed = runner.invoke(app, ["diff", spec, "--out", str(out)])
    assert "--- a/plan.json" in changed.stdout and "+++ b/plan.json" in changed.stdout


def test_hand_edits_are_refused_then_forced(tmp_path: Path) -> None:
    spec = str(REPO / "specs" / "nlp.yaml")
    out = tmp_path / "stack"
    assert runner.invoke(app, ["build", spec, "--out", str(out)]).exit_code == 0
    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nmy notes\n")
    refused = runner.invoke(app, ["build", spec, "--out", str(out)])
    assert refused.exit_code == 1
    assert "README.md" in refused.stderr and "--force" in refused.stderr
    assert readme.read_text().endswith("my notes\n")
    forced = runner.invoke(app, ["build", spec, "--out", str(out), "--force"])
    assert forced.exit_code == 0
    assert not readme.read_text().endswith("my notes\n")


def test_invalid_spec_leaves_previous_output_untouched(tmp_path: Path) -> None:
    good = REPO / "specs" / "nlp.yaml"
    out = tmp_path / "stack"
    assert runner.invoke(app, ["build", str(good), "--out", str(out)]).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("availability: 99.9", "availability: 101"))
    result = runner.invoke(app, ["build", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_build_default_output_is_generated_system(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", str(REPO / "specs" / "nlp.yaml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "generated" / "nlp" / "README.md").is_file()


@pytest.mark.parametrize("relative", [False, True])
def test_output_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    spec = REPO / "specs" / "time-series-forecasting.yaml"
    out = tmp_path / "stack"
    monkeypatch.chdir(REPO)
    from_repo = compile_stack(spec, out).tree
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if relative:
        spec_arg, out_arg = Path(os.path.relpath(spec, elsewhere)), Path("../stack")
    else:
        spec_arg, out_arg = spec, out
    from_there = compile_stack(spec_arg, out_arg).tree
    assert from_there == from_repo
