"""ruff formatting of generated Python: clean output, hard errors, determinism, isolation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.render.formatting import (
    LINT_RULES,
    FormattingError,
    format_python,
    format_tree,
    ruff_binary,
    ruff_version,
)

UGLY = """import yaml,os
import sys
from pipelines.steps import train
def  f( x ):
  return {  'a':x, "b" : [1,2,
  3]}
print( f(1),yaml, os,train )
"""

TREE = {
    "pipelines/__init__.py": "",
    "pipelines/steps/__init__.py": "",
    "pipelines/steps/train.py": "import os\ndef train(): return os.sep\n",
    "pipelines/run.py": UGLY,
    "build/generated_in_build_dir.py": "x=1\n",
    "README.md": "not   python\n",
    "infra/main.tf": 'x = "y"\n',
}


def write(tree: dict[str, str], root: Path) -> None:
    for path, text in tree.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(text.encode("utf-8"))


def ruff(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ruff_binary(), *args, "--isolated", "--no-cache", "--line-length", "100"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_formatted_tree_passes_ruff_format_check_and_lint(tmp_path: Path) -> None:
    formatted = format_tree(TREE)
    write(formatted, tmp_path)
    py_files = [p for p in formatted if p.endswith(".py")]
    check = ruff(["format", "--check", *py_files], tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    lint = ruff(["check", "--select", LINT_RULES, *py_files], tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_format_tree_fixes_imports_and_layout() -> None:
    formatted = format_tree(TREE)
    run = formatted["pipelines/run.py"]
    assert run.startswith("import os\n\nimport yaml\n\nfrom pipelines.steps import train\n")
    assert "import sys" not in run  # unused, removed by F401's fix
    assert 'return {"a": x, "b": [1, 2, 3]}' in run
    assert formatted["build/generated_in_build_dir.py"] == "x = 1\n"


def test_other_files_and_order_are_untouched() -> None:
    formatted = format_tree(TREE)
    assert list(formatted) == list(TREE)
    assert formatted["README.md"] == TREE["README.md"]
    assert formatted["infra/main.tf"] == TREE["infra/main.tf"]


def test_formatting_is_deterministic_and_idempotent() -> None:
    first = format_tree(TREE)
    assert format_tree(TREE) == first
    assert format_tree(first) == first


def test_format_python_formats_one_file() -> None:
    assert format_python("x=  {'a':1}\r\n", "a.py") == 'x = {"a": 1}\n'


def test_syntax_error_is_a_clear_hard_error() -> None:
    tree = {"ok.py": "x = 1\n", "services/api/service.py": "def f(:\n    pass\n"}
    with pytest.raises(FormattingError) as caught:
        format_tree(tree)
    error = caught.value
    assert isinstance(error, MlopsgenError) and error.exit_code == 2
    assert error.path == "services/api/service.py"
    assert "syntax error" in str(error)
    assert "services/api/service.py:1:7" in error.details


def test_unfixable_lint_error_is_a_hard_error() -> None:
    with pytest.raises(FormattingError, match="cannot fix") as caught:
        format_python("def f():\n    x = 1\n    return undefined_name\n", "pkg/m.py")
    assert caught.value.path == "pkg/m.py"
    assert "F841" in caught.value.details and "F821" in caught.value.details


def test_format_python_needs_a_py_path() -> None:
    with pytest.raises(ValueError):
        format_python("x = 1\n", "script.sh")


def test_unsafe_paths_are_refused() -> None:
    with pytest.raises(MlopsgenError):
        format_tree({"../evil.py": "x = 1\n"})


def test_ruff_version_is_reported() -> None:
    assert ruff_version().startswith("ruff ")
