"""Whose output a directory holds: another system's stack, hand edits, and what --check says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlopsgen.cli import app
from mlopsgen.output.manifest import MANIFEST_NAME, Manifest, ManifestError
from mlopsgen.output.writer import OtherSystemError, write_tree
from tests.conftest import SPECS

runner = CliRunner()
NLP = str(SPECS / "nlp.yaml")
FRAUD = str(SPECS / "fraud-detection.yaml")
SPEC = "ab" * 32


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _built(tmp_path: Path, spec: str = NLP) -> Path:
    out = tmp_path / "stack"
    result = runner.invoke(app, ["build", spec, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_manifest_records_the_system_built() -> None:
    manifest = Manifest.for_files(
        {"a.txt": b"a"}, generator_version="1", spec_sha256=SPEC, system="nlp"
    )
    assert json.loads(manifest.to_json())["system"] == "nlp"
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_manifest_without_system_still_reads_and_a_bad_one_is_refused() -> None:
    bare = Manifest.for_files({"a.txt": b"a"}, generator_version="1", spec_sha256=SPEC)
    assert "system" not in json.loads(bare.to_json())
    assert Manifest.from_json(bare.to_json()).system is None
    data = {**json.loads(bare.to_json()), "system": 3}
    with pytest.raises(ManifestError, match="'system' must be a non-empty string"):
        Manifest.from_json(json.dumps(data))


def test_build_of_another_spec_into_a_stack_is_refused_naming_the_system(tmp_path: Path) -> None:
    out = _built(tmp_path)
    before = _snapshot(out)
    refused = runner.invoke(app, ["build", FRAUD, "--out", str(out)])
    assert refused.exit_code == 1
    assert "holds the stack of system 'nlp'" in refused.stderr
    assert "'fraud-detection'" in refused.stderr and "--force" in refused.stderr
    assert _snapshot(out) == before


def test_force_replaces_another_systems_stack(tmp_path: Path) -> None:
    out = _built(tmp_path)
    forced = runner.invoke(app, ["build", FRAUD, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert Manifest.read(out) is not None
    assert json.loads((out / MANIFEST_NAME).read_text())["system"] == "fraud-detection"
    assert json.loads((out / "plan.json").read_text())["system"]["name"] == "fraud-detection"


def test_rebuilding_the_same_system_from_a_changed_spec_is_not_refused(tmp_path: Path) -> None:
    out = _built(tmp_path)
    changed = tmp_path / "nlp.yaml"
    changed.write_text(Path(NLP).read_text().replace("hit_ratio: 0.2", "hit_ratio: 0.3"))
    result = runner.invoke(app, ["build", str(changed), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "update" in result.stdout


def test_writer_refuses_another_system_even_in_a_dry_run(tmp_path: Path) -> None:
    write_tree({"a.txt": "a\n"}, tmp_path / "o", spec_sha256=SPEC, system="one")
    for dry_run in (True, False):
        with pytest.raises(OtherSystemError) as caught:
            write_tree(
                {"a.txt": "b\n"}, tmp_path / "o", spec_sha256=SPEC, system="two", dry_run=dry_run
            )
        assert caught.value.exit_code == 1 and caught.value.there == "one"
    assert (tmp_path / "o" / "a.txt").read_text() == "a\n"


def test_check_names_a_hand_edit_and_what_to_do(tmp_path: Path) -> None:
    out = _built(tmp_path)
    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nmy notes\n")
    checked = runner.invoke(app, ["build", NLP, "--out", str(out), "--check"])
    assert checked.exit_code == 1
    assert "rebuild to update" not in checked.stdout
    assert f"{out}: stale, and edited by hand since the last build: README.md" in checked.stdout
    assert "rebuild with --force to discard the edits" in checked.stdout
    assert "move the change into the spec" in checked.stdout
    assert readme.read_text().endswith("my notes\n")


def test_check_names_a_file_mlopsgen_did_not_write(tmp_path: Path) -> None:
    out = _built(tmp_path)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    del manifest["files"]["Makefile"]
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    (out / "Makefile").write_text("all:\n")
    checked = runner.invoke(app, ["build", NLP, "--out", str(out), "--check"])
    assert checked.exit_code == 1
    assert "not written by mlopsgen: Makefile" in checked.stdout


def test_check_names_another_systems_stack(tmp_path: Path) -> None:
    out = _built(tmp_path)
    checked = runner.invoke(app, ["build", FRAUD, "--out", str(out), "--check"])
    assert checked.exit_code == 1
    assert "a rebuild would refuse" in checked.stdout
    assert "holds the stack of system 'nlp'" in checked.stdout


def test_check_of_an_unedited_stale_stack_says_rebuild(tmp_path: Path) -> None:
    checked = runner.invoke(app, ["build", NLP, "--out", str(tmp_path / "new"), "--check"])
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[-1] == f"{tmp_path / 'new'}: stale: rebuild to update"
    assert not (tmp_path / "new").exists()
