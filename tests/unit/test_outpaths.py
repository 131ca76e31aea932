"""Output paths are canonical, relative and cannot leave the output directory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlopsgen.diagnostics import OutputError
from mlopsgen.render.paths import check_relative_path, check_tree_paths
from tests.unit.hostile_strings import hostile_text


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a/./b",
        ".",
        "a//b",
        "a/",
        "a\\b",
        "..\\x",
        "a\x00b",
        "a\nb",
        "x" * 256,
        "a\ud800",
    ],
)
def test_unsafe_paths_are_refused(bad: str) -> None:
    with pytest.raises(OutputError, match="refusing output path"):
        check_relative_path(bad)


def test_non_strings_are_refused() -> None:
    with pytest.raises(OutputError):
        check_relative_path(b"a")


@pytest.mark.parametrize("good", ["a", "a/b.py", ".github/workflows/ci.yml", "日本/🚀.md", "..a"])
def test_ordinary_paths_pass(good: str) -> None:
    assert check_relative_path(good) == good


@given(hostile_text)
def test_accepted_paths_never_climb(path: str) -> None:
    try:
        check_relative_path(path)
    except OutputError:
        return
    parts = path.split("/")
    assert ".." not in parts and "" not in parts and not path.startswith("/")


@given(st.lists(st.from_regex(r"[a-cA-C]{1,2}(/[a-c]{1,2}){0,2}", fullmatch=True), max_size=8))
def test_tree_paths_are_refused_or_portable(paths: list[str]) -> None:
    try:
        checked = check_tree_paths(paths)
    except OutputError:
        return
    assert checked == sorted(paths)
    assert len({p.casefold() for p in checked}) == len(set(checked))
    assert not any(q.startswith(p + "/") for p in checked for q in checked)


def test_tree_paths_refuse_file_and_directory_and_case_clashes() -> None:
    with pytest.raises(OutputError, match="both a file and a directory"):
        check_tree_paths(["a", "a/b"])
    with pytest.raises(OutputError, match="differ only by case"):
        check_tree_paths(["README.md", "readme.md"])
    with pytest.raises(OutputError, match="differ only by case"):
        check_tree_paths(["Docs/a.md", "docs/b.md"])
