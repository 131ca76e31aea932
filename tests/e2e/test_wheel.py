"""A wheel built from the repository works in a fresh virtualenv, from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel with the dev environment's setuptools and install it into a new venv."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO),
        ],
        cwd=root,
    )
    wheels = list(dist.glob("mlopsgen-*.whl"))
    assert len(wheels) == 1
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    _run(
        [str(pip), "install", "--quiet", "-c", str(REPO / "constraints.txt"), str(wheels[0])],
        cwd=root,
    )
    return env_dir


def test_wheel_cli_works_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    exe = str(installed / "bin" / "mlopsgen")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    listed = _run([exe, "examples"], cwd=tmp_path, env=env)
    assert "fraud-detection" in listed and "time-series-forecasting" in listed
    _run([exe, "init", "from-wheel", "--from", "nlp", "--no-input"], cwd=tmp_path, env=env)
    out = _run([exe, "validate", "from-wheel/spec.yaml"], cwd=tmp_path, env=env)
    assert out.startswith("✓ from-wheel/spec.yaml: from-wheel")
    schema = _run([exe, "schema"], cwd=tmp_path, env=env)
    assert schema == (REPO / "specs" / "schema.json").read_text(encoding="utf-8")
    built = _run([exe, "build", "from-wheel/spec.yaml", "--out", "stack"], cwd=tmp_path, env=env)
    assert "create     README.md" in built
    readme = (tmp_path / "stack" / "README.md").read_text(encoding="utf-8")
    assert "```mermaid" in readme and "## Decisions" in readme
    check = _run(
        [exe, "build", "from-wheel/spec.yaml", "--out", "stack", "--check"], cwd=tmp_path, env=env
    )
    assert "up to date" in check


def test_wheel_ships_templates_not_the_repository(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "bin" / "python")
    code = (
        "import mlopsgen, pathlib; from importlib.resources import files; "
        "t = files('mlopsgen') / 'templates'; "
        "assert (t / 'init' / 'cookiecutter.json').is_file(); "
        "assert 'site-packages' in mlopsgen.__file__, mlopsgen.__file__; "
        "print(sorted(p.name for p in (files('mlopsgen') / 'examples').iterdir()))"
    )
    out = _run([python, "-c", code], cwd=tmp_path)
    assert "invalid" not in out
    assert "fraud-detection.yaml" in out
