"""A stack's Makefile and an ``init`` project's Makefile find mlopsgen, or say how to.

After the README set-up the checkout's ``.venv`` exists but is not activated; a user who
installed mlopsgen with pip has it on ``PATH``. Both must work, and with neither, ``make``
names the fix instead of failing with ``mlopsgen: No such file or directory``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REFERENCE_SPECS, REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU Make is not installed")

#: The console script of the environment running the tests: what the README set-up installs.
MLOPSGEN = Path(sys.executable).parent / "mlopsgen"
MISSING = (
    "mlopsgen not found: activate the virtualenv that has it, pip install it, "
    "or run make MLOPSGEN=/path/to/mlopsgen {target}"
)


def _system(spec: Path) -> str:
    return str(yaml.safe_load(spec.read_text(encoding="utf-8"))["system"]["name"])


def _path_without_mlopsgen() -> str:
    """The current PATH minus every directory that holds an ``mlopsgen`` command."""
    dirs = os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not (Path(d) / "mlopsgen").exists())


def _make(directory: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLOPSGEN", "VIRTUAL_ENV")}
    env["PATH"] = _path_without_mlopsgen() if path is None else path
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _venv_up_the_tree(directory: Path) -> list[Path]:
    """The .venv/bin/mlopsgen candidates a generated Makefile looks at, that exist."""
    candidates = [directory, *list(directory.parents)[:3]]
    return [d / ".venv" / "bin" / "mlopsgen" for d in candidates if (d / ".venv").exists()]


def _checkout(root: Path, spec: Path, *, venv: bool = True) -> Path:
    """A checkout after its README set-up: specs/, a .venv with mlopsgen, a built stack."""
    (root / "specs").mkdir(parents=True)
    shutil.copy(spec, root / "specs" / spec.name)
    if venv:
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "mlopsgen").symlink_to(MLOPSGEN)
    stack = root / "generated" / _system(spec)
    subprocess.run(
        [str(MLOPSGEN), "build", f"specs/{spec.name}", "--out", str(stack)],
        cwd=root,
        capture_output=True,
        check=True,
    )
    return stack


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=lambda p: p.stem)
def test_golden_makefile_parses_and_names_real_commands(spec: Path) -> None:
    golden = REPO / "generated" / _system(spec)
    result = _make(golden, "-n", "MLOPSGEN=mlopsgen", "install", "plan", "check", "clean")
    assert result.returncode == 0, result.stderr
    assert f"mlopsgen plan ../../specs/{spec.name}" in result.stdout
    assert f"mlopsgen build ../../specs/{spec.name} --out . --check" in result.stdout


def test_stack_make_plan_and_check_use_the_checkout_venv(tmp_path: Path) -> None:
    stack = _checkout(tmp_path / "checkout", REPO / "specs" / "fraud-detection.yaml")
    plan = _make(stack, "plan")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("../../.venv/bin/mlopsgen plan ../../specs/fraud-detection")
    assert "fraud-detection: plan v1" in plan.stdout
    check = _make(stack, "check")
    assert check.returncode == 0, check.stderr
    assert ".: up to date" in check.stdout


def test_stack_make_prefers_mlopsgen_on_path(tmp_path: Path) -> None:
    stack = _checkout(tmp_path / "checkout", REPO / "specs" / "nlp.yaml")
    bindir = tmp_path / "pip-user-bin"
    bindir.mkdir()
    (bindir / "mlopsgen").symlink_to(MLOPSGEN)
    result = _make(stack, "plan", path=f"{bindir}{os.pathsep}{_path_without_mlopsgen()}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mlopsgen plan ../../specs/nlp.yaml")


@pytest.mark.parametrize("target", ["plan", "check"])
def test_stack_make_without_mlopsgen_names_the_fix(tmp_path: Path, target: str) -> None:
    lonely = _checkout(tmp_path / "checkout", REPO / "specs" / "nlp.yaml", venv=False)
    assert _venv_up_the_tree(lonely) == []
    result = _make(lonely, target)
    assert result.returncode != 0
    assert MISSING.format(target=target) in result.stderr
    assert "No such file" not in result.stderr
    assert _make(lonely, target, "MLOPSGEN=" + str(MLOPSGEN)).returncode == 0


def test_stack_make_install_says_what_it_installs_and_why(tmp_path: Path) -> None:
    stack = _checkout(tmp_path / "checkout", REPO / "specs" / "fraud-detection.yaml")
    result = _make(stack, "-n", "install")
    assert result.returncode == 0, result.stderr
    note = result.stdout.splitlines()[0]
    assert "ZenML for the training pipelines" in note and "Feast for the feature store" in note
    assert "xgboost-cpu" in note and "at the exact versions in constraints.txt" in note
    assert ".venv/bin/pip install --quiet -c constraints.txt -e ." in result.stdout
    readme = (stack / "README.md").read_text(encoding="utf-8")
    assert "ZenML for the training pipelines" in readme


def test_stack_make_train_runs_the_pipelines_with_the_options_given(tmp_path: Path) -> None:
    stack = _checkout(tmp_path / "checkout", REPO / "specs" / "fraud-detection.yaml")
    every = _make(stack, "-n", "train")
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines()[-1] == ".venv/bin/python -m pipelines.run"
    one = _make(stack, "-n", "train", "PIPELINE=train_fraud_xgb", "ROWS=2000")
    expected = ".venv/bin/python -m pipelines.run --pipeline train_fraud_xgb --rows 2000"
    assert one.stdout.splitlines()[-1] == expected


def test_stack_make_serving_targets_use_the_service_the_bentofile_names(tmp_path: Path) -> None:
    stack = _checkout(tmp_path / "checkout", REPO / "specs" / "fraud-detection.yaml")
    service = "services.fraud_detection.service:FraudDetection"
    commands = {
        "export-models": ".venv/bin/python -m services.export",
        "serve": f".venv/bin/bentoml serve {service} --host 127.0.0.1 --port 3000",
        "loadtest": ".venv/bin/python -m services.loadtest --url http://127.0.0.1:3000",
        "bento": ".venv/bin/bentoml build -f services/fraud_detection/bentofile.yaml .",
    }
    (stack / ".venv").mkdir()
    (stack / ".venv" / ".installed").touch()  # installed: only the target's own commands run
    for target, command in commands.items():
        result = _make(stack, "-n", target)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == command
    moved = _make(stack, "-n", "serve", "PORT=3001")
    assert moved.stdout.splitlines()[-1].endswith("--port 3001")
    home = _make(stack, "--eval=home: ; @echo $$BENTOML_HOME $$BENTOML_DO_NOT_TRACK", "home")
    assert home.stdout.split() == [f"{stack.resolve()}/.mlopsgen/bentoml", "True"]
    shutil.rmtree(stack / "services")
    alone = _make(stack, "serve")
    assert alone.returncode != 0
    assert "this stack has no model service" in alone.stderr


def test_init_project_make_validate_finds_or_names_mlopsgen(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    subprocess.run(
        [str(MLOPSGEN), "init", "my-system", "--no-input"],
        cwd=workspace,
        capture_output=True,
        check=True,
    )
    project = workspace / "my-system"
    assert _venv_up_the_tree(project) == []
    missing = _make(project, "validate")
    assert missing.returncode != 0
    assert MISSING.format(target="validate") in missing.stderr
    (workspace / ".venv" / "bin").mkdir(parents=True)
    (workspace / ".venv" / "bin" / "mlopsgen").symlink_to(MLOPSGEN)
    found = _make(project, "validate")
    assert found.returncode == 0, found.stderr
    assert "✓ spec.yaml: my-system" in found.stdout
