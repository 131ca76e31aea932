"""``mlopsgen up`` on the support assistant, for real: fine-tune, export, serve, answer, stream.

Nothing here is replaced: the stack is built from ``specs/llm/support-assistant.yaml``, its
``train_assistant`` pipeline fine-tunes the local stand-in base model with LoRA on ZenML's
local stack, ``python -m services.export`` stores the merged production version in BentoML's
store, ``bentoml serve`` runs the generated service on the CPU engine, and ``up`` asks it the
stack's sample questions, then streams answers one after another and prints their token
timing beside the spec's objectives. The run is offline: nothing is downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mlopsgen.up import free_port
from tests.conftest import SPECS
from tests.functional.stack_env import stack_python

pytestmark = pytest.mark.slow

SPEC = SPECS / "llm" / "support-assistant.yaml"
#: Chats the fine-tuning run makes: enough for the gate, few enough for a short run.
ROWS = 200


def _port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_up_fine_tunes_serves_answers_and_streams(tmp_path: Path) -> None:
    stack, port = tmp_path / "support-assistant", free_port()
    mlopsgen = Path(sys.executable).parent / "mlopsgen"
    command = [
        str(mlopsgen), "up", str(SPEC), "--out", str(stack), "--python", str(stack_python()),
        "--rows", str(ROWS), "--port", str(port), "--once",
    ]  # fmt: skip
    environment = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    assert "train_assistant" in done.stdout + done.stderr
    assert f"ready at http://127.0.0.1:{port}" in done.stderr
    assert "sample answers" in done.stdout
    assert "streamed answers, 20 sequential" in done.stdout
    for row in ("time to first token p95", "time per output token p95", "time to last token p95"):
        assert row in done.stdout
    # the spec's objectives and the Plan's figures on its GPUs stand beside the measurement
    assert "1,500 ms" in done.stdout and "100 ms" in done.stdout and "20,000 ms" in done.stdout
    assert "stopping the service (--once)" in done.stdout
    assert "Traceback" not in done.stderr
    assert _port_closed(port), "the server outlived mlopsgen up --once"
    stored = stack / ".mlopsgen" / "bentoml" / "models" / "assistant"
    assert stored.is_dir(), "the merged production version is not in BentoML's store"
