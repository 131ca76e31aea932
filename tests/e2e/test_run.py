"""``mlopsgen run`` as a process: build if stale, run the stack's entry point, exit 0, 3 or 4.

The stack's interpreter here is the contract's stand-in (:mod:`.fake_pipelines`), named with
``--python`` or ``MLOPSGEN_STACK_PYTHON``, so the whole path is exercised in seconds; the
functional tier runs the real pipelines in the stack environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.fake_pipelines import ensure_entry_point, fake_interpreter

MLOPSGEN = Path(sys.executable).parent / "mlopsgen"
FRAUD = REPO / "specs" / "fraud-detection.yaml"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "MLOPSGEN_STACK_PYTHON"}
    return subprocess.run(
        [str(MLOPSGEN), "run", *args],
        capture_output=True,
        text=True,
        env={**base, "COLUMNS": "200", **(env or {})},
        check=False,
    )


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """The fraud stack, built."""
    out = tmp_path / "fraud"
    built = subprocess.run(
        [str(MLOPSGEN), "build", str(FRAUD), "--out", str(out)], capture_output=True, check=False
    )
    assert built.returncode == 0, built.stderr
    ensure_entry_point(out)
    return out


@pytest.fixture
def python(tmp_path: Path) -> Path:
    """The stand-in interpreter."""
    return fake_interpreter(tmp_path / "fake")


def _fake(stack: Path, outcome: str, *args: str) -> subprocess.CompletedProcess[str]:
    wrapper = fake_interpreter(stack.parent / "fake")
    return _run(
        str(FRAUD), "--out", str(stack), "--python", str(wrapper), *args,
        env={"FAKE_OUTCOME": outcome},
    )  # fmt: skip


def test_a_promoted_run_exits_0_and_shows_progress_and_the_model(stack: Path) -> None:
    done = _fake(stack, "promoted", "--rows", "500", "--pipeline", "train_fraud_xgb")
    assert done.returncode == 0, done.stderr
    assert f"stack {stack}: up to date" in done.stderr
    steps = [
        line.split()[-1] for line in done.stderr.splitlines() if "\N{RIGHTWARDS ARROW}" in line
    ]
    assert steps == ["ingest", "validate", "train", "evaluate", "register"]
    assert "pipeline train_fraud_xgb completed" in done.stderr
    assert "fraud_xgb" in done.stdout and "production" in done.stdout
    assert "roc_auc 0.97" in done.stdout and "every model promoted" in done.stdout
    call = json.loads((stack / ".mlopsgen" / "fake-call.json").read_text(encoding="utf-8"))
    assert call["argv"] == ["--pipeline", "train_fraud_xgb", "--rows", "500"]
    assert Path(call["cwd"]) == stack.resolve()
    assert call["env"]["ZENML_CONFIG_PATH"] == str(stack.resolve() / ".zenml")
    assert call["env"]["ZENML_ANALYTICS_OPT_IN"] == "false"
    assert call["env"]["BENTOML_DO_NOT_TRACK"] == "True"


def test_a_model_a_gate_kept_out_exits_3_naming_it_and_the_gate(stack: Path) -> None:
    done = _fake(stack, "kept_out")
    assert done.returncode == 3, done.stderr
    assert "kept out" in done.stdout and "staging" in done.stdout
    assert "\N{BALLOT X} false_positive_rate 0.034 \N{LESS-THAN OR EQUAL TO} 0.01" in done.stdout
    assert "a gate kept fraud_xgb out of production" in done.stdout


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        ("failed", "validation failed: amount_usd below 0"),
        ("crash", "the run wrote no .mlopsgen/last-run.json (pipelines.run exited with 4)"),
    ],
)
def test_a_failed_run_exits_4_with_the_reason_and_the_log(
    stack: Path, outcome: str, said: str
) -> None:
    done = _fake(stack, outcome)
    assert done.returncode == 4, done.stderr
    assert said in done.stderr and "run.log" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr


def test_a_previous_result_is_never_shown_for_a_new_run(stack: Path) -> None:
    assert _fake(stack, "promoted").returncode == 0
    done = _fake(stack, "crash")
    assert done.returncode == 4 and "wrote no" in done.stderr and "fraud_xgb" not in done.stdout


def test_a_stale_stack_is_rebuilt_before_the_run(stack: Path) -> None:
    (stack / "README.md").unlink()
    done = _fake(stack, "promoted")
    assert done.returncode == 0, done.stderr
    assert (stack / "README.md").is_file() and "1 create" in done.stderr


def test_the_interpreter_can_come_from_the_environment(stack: Path, python: Path) -> None:
    done = _run(str(FRAUD), "--out", str(stack), env={"MLOPSGEN_STACK_PYTHON": str(python)})
    assert done.returncode == 0, done.stderr
    assert "every model promoted" in done.stdout


def test_a_missing_interpreter_exits_4_and_names_it(stack: Path, tmp_path: Path) -> None:
    done = _run(str(FRAUD), "--out", str(stack), "--python", str(tmp_path / "nowhere"))
    assert done.returncode == 4
    assert f"no interpreter at {tmp_path / 'nowhere'}" in done.stderr


def test_an_invalid_spec_exits_1_before_anything_runs(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("spec_version: 1\nsystem: {name: Bad Name}\n", encoding="utf-8")
    done = _run(str(spec), "--out", str(tmp_path / "out"), "--python", sys.executable)
    assert done.returncode == 1, done.stderr
    assert not (tmp_path / "out").exists()


def test_an_environment_that_cannot_be_built_names_the_package(stack: Path, tmp_path: Path) -> None:
    """No index reachable (pip sees none): exit 4, the package named, nothing cached."""
    offline = {
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
        "MLOPSGEN_CACHE": str(tmp_path / "cache"),
    }
    done = _run(str(FRAUD), "--out", str(stack), env=offline)
    assert done.returncode == 4, done.stderr
    said = "cannot build the stack environment: pip could not install the pinned packages: "
    assert said in done.stderr
    assert "bentoml==1.4.39" in done.stderr and "hint: pip's full output is in" in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in (tmp_path / "cache" / "envs").iterdir() if p.is_dir()] == []
