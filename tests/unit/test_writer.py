"""The writer: create / identical / update / delete / conflict, and what it refuses to do."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlopsgen.diagnostics import OutputError
from mlopsgen.output.manifest import MANIFEST_NAME, ManifestError
from mlopsgen.output.writer import Action, HandEditedError, diff_tree, write_tree
from tests.unit.writer_helpers import SPEC, expected, identities, leftovers, snapshot

TREE = {
    "README.md": "# Stack\n",
    "pipelines/train.py": "x = 1\n",
    "pipelines/run.sh": "#!/bin/sh\necho run\n",
    "infra/main.tf": 'region = "eu"\n',
    "infra/modules/net/main.tf": "# net\n",
}


def actions(report: object) -> dict[str, str]:
    return {c.path: c.action.value for c in report.changes}  # type: ignore[attr-defined]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out" / "fraud"


def test_first_build_creates_everything(out: Path) -> None:
    report = write_tree(TREE, out, spec_sha256=SPEC)
    assert actions(report) == dict.fromkeys(sorted(TREE), "create")
    assert report.written and not report.dry_run
    assert snapshot(out) == expected(TREE)
    assert leftovers(out) == []


def test_manifest_is_sorted_and_deterministic(out: Path, tmp_path: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    other = tmp_path / "other"
    write_tree(dict(reversed(TREE.items())), other, spec_sha256=SPEC)
    text = (out / MANIFEST_NAME).read_text()
    assert text == (other / MANIFEST_NAME).read_text()
    data = json.loads(text)
    assert list(data) == ["files", "generator", "generator_version", "spec_sha256"]
    assert list(data["files"]) == sorted(TREE)
    assert data["spec_sha256"] == SPEC and data["generator"] == "mlopsgen"


def test_line_endings_and_modes(out: Path) -> None:
    write_tree({"a.txt": "one\r\ntwo\rthree\n", "run.sh": "#!/bin/sh\n"}, out, spec_sha256=SPEC)
    assert (out / "a.txt").read_bytes() == b"one\ntwo\nthree\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(out / "run.sh").st_mode) == 0o777 & ~umask
    assert stat.S_IMODE(os.stat(out / "a.txt").st_mode) == 0o666 & ~umask


def test_identical_rebuild_touches_nothing(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    before, dir_inode = identities(out), os.stat(out).st_ino
    report = write_tree(TREE, out, spec_sha256=SPEC)
    assert actions(report) == dict.fromkeys(sorted(TREE), "identical")
    assert not report.written and not report.changed
    assert identities(out) == before and os.stat(out).st_ino == dir_inode


def test_update_keeps_identical_files_untouched(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    before = identities(out)
    new = {**TREE, "pipelines/train.py": "x = 2\n"}
    report = write_tree(new, out, spec_sha256=SPEC)
    assert actions(report)["pipelines/train.py"] == "update"
    assert report.paths(Action.IDENTICAL) == sorted(set(TREE) - {"pipelines/train.py"})
    after = identities(out)
    for path in report.paths(Action.IDENTICAL):
        assert after[path] == before[path], path
    assert snapshot(out) == expected(new)


def test_stale_files_and_their_empty_directories_are_deleted(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / "infra" / "notes.txt").write_text("mine\n")
    new = {k: v for k, v in TREE.items() if not k.startswith("infra/")}
    report = write_tree(new, out, spec_sha256=SPEC)
    assert report.paths(Action.DELETE) == ["infra/main.tf", "infra/modules/net/main.tf"]
    assert not (out / "infra" / "modules").exists()
    assert (out / "infra" / "notes.txt").read_text() == "mine\n"


def test_foreign_files_links_and_empty_dirs_are_kept(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / ".venv" / "bin").mkdir(parents=True)
    (out / ".venv" / "bin" / "python").write_text("not really\n")
    (out / "empty").mkdir()
    (out / "link").symlink_to("README.md")
    before = {k: v for k, v in identities(out).items() if k.startswith(".venv")}
    new = {**TREE, "README.md": "# Stack v2\n"}
    write_tree(new, out, spec_sha256=SPEC)
    snap = snapshot(out)
    assert snap[".venv/bin/python"] == b"not really\n" and snap["empty"] == "<dir>"
    assert snap["link"] == "-> README.md"
    assert {k: v for k, v in identities(out).items() if k.startswith(".venv")} == before


def test_directory_modes_are_kept(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    os.chmod(out, 0o750)
    os.chmod(out / "infra", 0o700)
    write_tree({**TREE, "README.md": "changed\n"}, out, spec_sha256=SPEC)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(out / "infra").st_mode) == 0o700


def test_read_only_foreign_directories_and_special_files_are_kept(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / "venv" / "lib").mkdir(parents=True)
    (out / "venv" / "lib" / "site.py").write_text("x = 1\n")
    os.mkfifo(out / "pipe")
    os.chmod(out / "venv" / "lib", 0o555)
    os.chmod(out / "venv", 0o555)
    write_tree({**TREE, "README.md": "v2\n"}, out, spec_sha256=SPEC)
    assert (out / "venv" / "lib" / "site.py").read_text() == "x = 1\n"
    assert stat.S_IMODE(os.stat(out / "venv").st_mode) == 0o555
    assert stat.S_ISFIFO(os.lstat(out / "pipe").st_mode)
    assert leftovers(out) == []
    os.chmod(out / "venv", 0o755)
    os.chmod(out / "venv" / "lib", 0o755)


@pytest.mark.parametrize(
    ("edit", "new_tree", "conflict"),
    [
        ("pipelines/train.py", {**TREE, "pipelines/train.py": "x = 3\n"}, "pipelines/train.py"),
        ("pipelines/train.py", {**TREE}, None),
        ("infra/main.tf", {k: v for k, v in TREE.items() if k != "infra/main.tf"}, "infra/main.tf"),
    ],
)
def test_hand_edits_are_refused_without_any_change(
    out: Path, edit: str, new_tree: dict[str, str], conflict: str | None
) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / edit).write_text("hand edit\n")
    before, ids = snapshot(out), identities(out)
    if conflict is None:
        # Rebuilding the same tree over an edited file still protects it.
        conflict = edit
    with pytest.raises(HandEditedError) as caught:
        write_tree(new_tree, out, spec_sha256=SPEC)
    error = caught.value
    assert error.exit_code == 1 and isinstance(error, OutputError)
    assert error.report.conflicts == [conflict]
    assert "--force" in (error.hint or "")
    assert snapshot(out) == before and identities(out) == ids and leftovers(out) == []


def test_force_overwrites_and_reports_hand_edits(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / "README.md").write_text("hand edit\n")
    (out / "infra" / "main.tf").write_text("edited stale\n")
    new = {k: v for k, v in TREE.items() if k != "infra/main.tf"}
    report = write_tree(new, out, spec_sha256=SPEC, force=True)
    edited = {c.path: c.action.value for c in report.changes if c.hand_edited}
    assert edited == {"README.md": "update", "infra/main.tf": "delete"}
    assert report.lines() == [
        "update     README.md (hand-edited)",
        "delete     infra/main.tf (hand-edited)",
    ]
    assert report.summary() == "0 create, 3 identical, 1 update, 1 delete, 0 conflict"
    assert snapshot(out) == expected(new)


def test_foreign_file_at_a_generated_path_is_a_conflict(out: Path) -> None:
    write_tree({"a.txt": "a\n"}, out, spec_sha256=SPEC)
    (out / "b.txt").write_text("someone else's\n")
    with pytest.raises(HandEditedError) as caught:
        write_tree({"a.txt": "a\n", "b.txt": "generated\n"}, out, spec_sha256=SPEC)
    assert caught.value.report.conflicts == ["b.txt"]
    (out / "b.txt").write_text("generated\n")
    report = write_tree({"a.txt": "a\n", "b.txt": "generated\n"}, out, spec_sha256=SPEC)
    assert actions(report) == {"a.txt": "identical", "b.txt": "identical"}


def test_file_where_a_directory_is_needed(out: Path) -> None:
    write_tree({"a": "file\n"}, out, spec_sha256=SPEC)
    report = write_tree({"a/b": "nested\n"}, out, spec_sha256=SPEC)
    assert actions(report) == {"a": "delete", "a/b": "create"}
    (out / "x").write_text("foreign\n")
    with pytest.raises(HandEditedError):
        write_tree({"a/b": "nested\n", "x/y": "1\n"}, out, spec_sha256=SPEC)


def test_directory_where_a_file_is_needed_is_refused_even_with_force(out: Path) -> None:
    write_tree({"a.txt": "a\n"}, out, spec_sha256=SPEC)
    (out / "b").mkdir()
    with pytest.raises(OutputError, match="directory, where the build writes a file"):
        write_tree({"a.txt": "a\n", "b": "file\n"}, out, spec_sha256=SPEC, force=True)


def test_unknown_non_empty_directory_is_refused_unless_forced(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "precious.txt").write_text("keep me\n")
    with pytest.raises(OutputError, match=r"has no \.mlopsgen-manifest\.json") as caught:
        write_tree(TREE, out, spec_sha256=SPEC)
    assert caught.value.exit_code == 2 and "--force" in (caught.value.hint or "")
    assert snapshot(out) == {"precious.txt": b"keep me\n"}
    write_tree(TREE, out, spec_sha256=SPEC, force=True)
    assert snapshot(out) == {**expected(TREE), "precious.txt": b"keep me\n"}


def test_empty_existing_directory_is_used(out: Path) -> None:
    out.mkdir(parents=True)
    write_tree(TREE, out, spec_sha256=SPEC)
    assert snapshot(out) == expected(TREE)


@pytest.mark.parametrize(
    "bad", ["../escape.txt", "/abs.txt", "a\\b.txt", "nul\x00.txt", "a//b", "", "a/./b", "x/.."]
)
def test_unsafe_paths_are_refused_before_anything_happens(out: Path, bad: str) -> None:
    with pytest.raises(OutputError):
        write_tree({"ok.txt": "ok\n", bad: "evil\n"}, out, spec_sha256=SPEC)
    assert not out.parent.exists()


def test_the_manifest_name_cannot_be_rendered(out: Path) -> None:
    with pytest.raises(OutputError):
        write_tree({MANIFEST_NAME: "{}"}, out, spec_sha256=SPEC)


def test_symlink_leading_outside_is_refused(out: Path, tmp_path: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    victim = tmp_path / "victim"
    victim.mkdir()
    (out / "escape").symlink_to(victim)
    with pytest.raises(OutputError, match="symlink leading out"):
        write_tree({**TREE, "escape/pwned.txt": "x\n"}, out, spec_sha256=SPEC)
    assert list(victim.iterdir()) == []


def test_symlink_on_a_generated_path_is_refused(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / "docs").symlink_to("infra")
    with pytest.raises(OutputError, match="in the way"):
        write_tree({**TREE, "docs/x.md": "x\n"}, out, spec_sha256=SPEC)


def test_tampered_manifest_cannot_delete_outside(out: Path, tmp_path: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    victim = tmp_path / "out" / "victim.txt"
    victim.write_text("precious\n")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    manifest["files"]["../victim.txt"] = "0" * 64
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ManifestError, match="refusing output path"):
        write_tree(TREE, out, spec_sha256=SPEC)
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("text", ["not json", "[]", '{"generator": "other"}'])
def test_corrupt_manifest_is_refused_unless_forced(out: Path, text: str) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / MANIFEST_NAME).write_text(text)
    with pytest.raises(ManifestError):
        write_tree(TREE, out, spec_sha256=SPEC)
    write_tree(TREE, out, spec_sha256=SPEC, force=True)
    assert snapshot(out) == expected(TREE)


def test_dry_run_touches_nothing(out: Path) -> None:
    report = write_tree(TREE, out, spec_sha256=SPEC, dry_run=True)
    assert report.dry_run and not report.written
    assert report.paths(Action.CREATE) == sorted(TREE)
    assert not out.parent.exists()
    write_tree(TREE, out, spec_sha256=SPEC)
    before, ids = snapshot(out), identities(out)
    new = {**TREE, "README.md": "new\n", "extra.txt": "x\n"}
    report = write_tree(new, out, spec_sha256=SPEC, dry_run=True)
    assert report.counts()[Action.UPDATE] == 1 and report.counts()[Action.CREATE] == 1
    assert snapshot(out) == before and identities(out) == ids


def test_dry_run_reports_conflicts_like_a_build(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    (out / "README.md").write_text("edited\n")
    with pytest.raises(HandEditedError) as caught:
        write_tree(TREE, out, spec_sha256=SPEC, dry_run=True)
    assert caught.value.report.dry_run
    report = write_tree(TREE, out, spec_sha256=SPEC, dry_run=True, force=True)
    assert [c.path for c in report.changes if c.hand_edited] == ["README.md"]
    assert (out / "README.md").read_text() == "edited\n"


def test_spec_change_rewrites_only_the_manifest(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    ids = identities(out)
    report = write_tree(TREE, out, spec_sha256="6" * 64)
    assert report.written and not report.changed
    assert json.loads((out / MANIFEST_NAME).read_text())["spec_sha256"] == "6" * 64
    assert {k: v for k, v in identities(out).items() if k != MANIFEST_NAME} == {
        k: v for k, v in ids.items() if k != MANIFEST_NAME
    }


def test_symlinked_output_directory_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_tree(TREE, link, spec_sha256=SPEC)
    write_tree({**TREE, "README.md": "v2\n"}, link, spec_sha256=SPEC)
    assert link.is_symlink() and snapshot(real) == expected({**TREE, "README.md": "v2\n"})


def test_a_build_from_inside_the_output_directory_is_refused(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    monkeypatch.chdir(out / "infra")
    write_tree(TREE, out, spec_sha256=SPEC)  # nothing to change: allowed
    with pytest.raises(OutputError, match="current directory is inside it"):
        write_tree({**TREE, "README.md": "v2\n"}, out, spec_sha256=SPEC)


def test_rename_fallback_swap(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPSGEN_WRITER_SWAP", "rename")
    write_tree(TREE, out, spec_sha256=SPEC)
    before = identities(out)
    new = {**TREE, "README.md": "v2\n"}
    write_tree(new, out, spec_sha256=SPEC)
    assert snapshot(out) == expected(new) and leftovers(out) == []
    assert identities(out)["infra/main.tf"] == before["infra/main.tf"]


def test_leftovers_of_a_killed_build_are_recovered(out: Path) -> None:
    write_tree(TREE, out, spec_sha256=SPEC)
    staging = out.parent / f".{out.name}.mlopsgen-staging-0badc0de"
    (staging / "half").mkdir(parents=True)
    (staging / "half" / "file").write_text("partial")
    old = out.parent / f".{out.name}.mlopsgen-old-0badc0de"
    out.rename(old)  # killed between the two renames of the fallback swap
    assert diff_tree(TREE, out) == ""  # reads the set-aside output
    assert write_tree(TREE, out, spec_sha256=SPEC, dry_run=True).paths(Action.IDENTICAL)
    assert old.exists()
    report = write_tree(TREE, out, spec_sha256=SPEC)
    assert not report.changed and leftovers(out) == []
    assert snapshot(out) == expected(TREE)


def test_diff_tree(out: Path) -> None:
    assert diff_tree({"a.txt": "a\n"}, out) == "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+a\n"
    write_tree({"a.txt": "a\n", "old.txt": "old"}, out, spec_sha256=SPEC)
    (out / "foreign.txt").write_text("not compared\n")
    assert diff_tree({"a.txt": "a\n", "old.txt": "old"}, out) == ""
    diff = diff_tree({"a.txt": "b\n"}, out)
    assert diff == (
        "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n"
        "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n\\ No newline at end of file\n"
    )


def test_diff_tree_splits_lines_at_newlines_only(out: Path) -> None:
    write_tree({"a.md": "x\u2028y\n"}, out, spec_sha256=SPEC)
    assert diff_tree({"a.md": "x\u2028z\n"}, out).count("\n") == 5


def test_spec_hash_must_be_a_sha256(out: Path) -> None:
    with pytest.raises(ValueError):
        write_tree(TREE, out, spec_sha256="abc")


trees = st.dictionaries(
    st.sampled_from(["a.txt", "b/c.txt", "b/d/e.txt", "f/g.py", "h.sh", "b/z.txt"]),
    st.sampled_from(["1\n", "2\n", "#!/bin/sh\n", "", "x\r\ny"]),
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(trees, min_size=1, max_size=5))
def test_any_sequence_of_builds_leaves_exactly_the_last_tree(
    tmp_path: Path, sequence: list[dict[str, str]]
) -> None:
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / "out"
    previous: dict[str, str] = {}
    for tree in sequence:
        report = write_tree(tree, out, spec_sha256=SPEC)
        assert snapshot(out) == expected(tree)
        assert leftovers(out) == []
        for change in report.changes:
            if change.action is Action.DELETE:
                assert change.path in previous and change.path not in tree
            elif change.action is Action.CREATE:
                assert change.path not in previous
        previous = tree
