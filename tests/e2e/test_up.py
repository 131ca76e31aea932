"""``mlopsgen up`` as a process: its help, and every way it stops early says why, no traceback.

Training goes through ``mlopsgen run``'s machinery, so the stand-in interpreter of
:mod:`.fake_pipelines` drives it here; the same wrapper answers ``-m services.export`` as the
contract says a stack without a production model does (exit 3, one line naming the model).
Serving a real service is in ``tests/functional/test_bentoml_up.py``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.fake_pipelines import ensure_entry_point, fake_interpreter, stand_in_service

MLOPSGEN = Path(sys.executable).parent / "mlopsgen"
FRAUD = REPO / "specs" / "fraud-detection.yaml"
NO_PRODUCTION = "no production version of model fraud_xgb"


def _up(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "MLOPSGEN_STACK_PYTHON"}
    return subprocess.run(
        [str(MLOPSGEN), "up", *args],
        capture_output=True,
        text=True,
        env={**base, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def _interpreter(directory: Path) -> Path:
    """The stand-in interpreter, also answering ``-m services.export`` with exit 3."""
    wrapper = fake_interpreter(directory)
    script = directory / "fake_run.py"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = pipelines.run ]; then\n'
        f'  shift 2; exec {shlex.quote(sys.executable)} {shlex.quote(str(script))} "$@"\n'
        "fi\n"
        'if [ "$1" = -m ] && [ "$2" = services.export ]; then\n'
        f'  echo "{NO_PRODUCTION}" >&2; exit 3\n'
        "fi\n"
        'echo "unexpected: $*" >&2; exit 97\n',
        encoding="utf-8",
    )
    return wrapper


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """The fraud stack, built, with the entry points the stand-in answers for."""
    out = tmp_path / "fraud"
    built = subprocess.run(
        [str(MLOPSGEN), "build", str(FRAUD), "--out", str(out)], capture_output=True, check=False
    )
    assert built.returncode == 0, built.stderr
    ensure_entry_point(out)
    stand_in_service(out)
    return out


def test_help_names_every_option() -> None:
    done = _up("--help")
    assert done.returncode == 0, done.stderr
    for option in ("--once", "--out", "--port", "--rows", "--python", "SPEC"):
        assert option in done.stdout
    assert "127.0.0.1" in done.stdout and "Ctrl-C" in done.stdout


def test_an_invalid_spec_exits_1_with_positioned_errors_before_anything_runs(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("spec_version: 1\nsystem: {name: Bad Name}\n", encoding="utf-8")
    done = _up(str(spec), "--out", str(tmp_path / "out"), "--python", sys.executable, "--once")
    assert done.returncode == 1, done.stderr
    assert f"{spec}:2:16: error" in done.stderr and "'Bad Name' is not a valid name" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_spec_is_a_usage_error(tmp_path: Path) -> None:
    done = _up(str(tmp_path / "none.yaml"), "--once")
    assert done.returncode == 2 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_that_cannot_be_is_refused_before_the_build(tmp_path: Path, port: str) -> None:
    done = _up(str(FRAUD), "--out", str(tmp_path / "out"), "--port", port, "--once")
    assert done.returncode == 2, done.stderr
    assert f"--port {port} is not a TCP port" in done.stderr and "hint:" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_failed_training_exits_4_with_the_log_and_serves_nothing(stack: Path) -> None:
    python = _interpreter(stack.parent / "fake")
    done = _up(
        str(FRAUD), "--out", str(stack), "--python", str(python), "--once",
        env={"FAKE_OUTCOME": "failed"},
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert "validation failed: amount_usd below 0" in done.stderr
    assert not (stack / ".mlopsgen" / "export.log").exists()
    assert "Traceback" not in done.stderr


def test_no_production_model_exits_3_naming_it_and_pointing_at_the_gates(stack: Path) -> None:
    python = _interpreter(stack.parent / "fake")
    done = _up(
        str(FRAUD), "--out", str(stack), "--python", str(python), "--once",
        env={"FAKE_OUTCOME": "kept_out"},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "kept out" in done.stdout and "false_positive_rate" in done.stdout
    assert f"error: no promoted model to serve: {NO_PRODUCTION}" in done.stderr
    assert "which gate failed" in done.stderr
    assert "Traceback" not in done.stderr
    assert (stack / ".mlopsgen" / "export.log").read_text(encoding="utf-8").strip() == (
        NO_PRODUCTION
    )


def test_a_batch_only_spec_trains_then_runs_its_batch_pipeline_instead_of_serving(
    tmp_path: Path,
) -> None:
    spec = REPO / "tests" / "data" / "corpus" / "store-demand.yaml"
    out = tmp_path / "store"
    python = _interpreter(tmp_path / "fake")
    done = _up(str(spec), "--out", str(out), "--python", str(python), "--rows", "300")
    assert done.returncode == 0, done.stderr
    assert (
        "serving.mode is batch: no realtime service to start; "
        "running batch_units_forecast instead" in done.stdout
    )
    assert "pipeline batch_units_forecast completed" in done.stderr
    call = json.loads((out / ".mlopsgen" / "fake-call.json").read_text(encoding="utf-8"))
    assert call["argv"] == ["--pipeline", "batch_units_forecast", "--rows", "300"]
    assert not (out / ".mlopsgen" / "export.log").exists()
