"""The CLI as a whole process when its output cannot be written.

A full disk (standard output on ``/dev/full``) is an IO error: exit code 2 and one clear line
on standard error, never "internal error". A reader that goes away (``| head -1``) ends the
process by SIGPIPE without a word, as other command-line tools do.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SPECS

NLP = str(SPECS / "nlp.yaml")
FULL = Path("/dev/full")

#: Every command that prints to standard output, with arguments that make it succeed.
PRINTING = {
    "help": ["--help"],
    "version": ["--version"],
    "schema": ["schema"],
    "examples": ["examples"],
    "validate": ["validate", NLP],
    "validate-json": ["validate", "--format", "json", NLP],
    "plan": ["plan", NLP],
    "plan-json": ["plan", NLP, "--json"],
    "plan-explain": ["plan", NLP, "--explain", "serving.replicas"],
    "plan-list": ["plan", NLP, "--list-decisions"],
    "build": ["build", NLP, "--out", "stack"],
    "build-check": ["build", NLP, "--out", "stack", "--check"],
    "diff": ["diff", NLP, "--out", "stack"],
    "init": ["init", "churn-model", "--no-input"],
}


def _command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = shutil.which("mlopsgen", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from mlopsgen.cli import main; main()"]


def _run(args: list[str], cwd: Path, stdout: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MLOPSGEN_DEBUG"}
    return subprocess.run(
        [*_command(), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", list(PRINTING.values()), ids=list(PRINTING))
def test_a_full_disk_is_an_io_error(args: list[str], tmp_path: Path) -> None:
    with FULL.open("w") as full:
        result = _run(args, tmp_path, full.fileno())
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        "mlopsgen: cannot write to standard output: No space left on device",
        "  hint: free space on the device or write the output elsewhere",
    ], result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="needs SIGPIPE")
@pytest.mark.parametrize("args", list(PRINTING.values()), ids=list(PRINTING))
def test_a_reader_that_goes_away_ends_the_process_quietly(args: list[str], tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = _run(args, tmp_path, write_end)
    finally:
        os.close(write_end)
    assert result.returncode == -signal.SIGPIPE, result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr
    assert "mlopsgen:" not in result.stderr
