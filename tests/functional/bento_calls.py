"""Serve a trained stack's BentoML service on a free local port and call it, for tests.

One worker and a long timeout (a shared CI core is slow); the BentoML store is the stack's
(``BENTOML_HOME`` beside the stack, set by :func:`stack_environment`). A made-up request row
comes from the stack itself (:data:`SAMPLE_ROWS`): its synthetic generator's rows, cut to
the plan's request fields and encoded as a request sends them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.functional.bento_serving import free_port, get, post
from tests.functional.stack_env import run_json, stack_environment, stack_python

__all__ = ["free_port", "get", "post", "sample_rows", "service_import_path", "serving"]


def service_import_path(stack: Path) -> str:
    """``services.<pkg>.service:<Class>`` as the stack's bentofile names it."""
    (bentofile,) = stack.glob("services/*/bentofile.yaml")
    for line in bentofile.read_text(encoding="utf-8").splitlines():
        if line.startswith("service:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    raise AssertionError(f"{bentofile} names no service")


def _wait_ready(server: subprocess.Popen[str], base: str) -> None:
    """Poll ``/readyz`` until it answers 200, or fail with the output if the server exits
    (a server that fails to start exits: it never hangs, so no clock bounds the wait)."""
    while server.poll() is None:
        try:
            if get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1.0)
    output = server.stdout.read() if server.stdout else ""
    pytest.fail(f"bentoml serve exited {server.returncode}:\n{output[-6000:]}")


@contextmanager
def serving(stack: Path, extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """``bentoml serve`` of the stack's service, ready; yields its base URL, then stops it."""
    env = stack_environment(
        stack,
        {"MLOPSGEN_SERVICE_WORKERS": "1", "MLOPSGEN_SERVICE_TIMEOUT_S": "120", **(extra or {})},
    )
    port = free_port()
    command = [str(stack_python()), "-m", "bentoml", "serve", service_import_path(stack)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=stack,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(server, base)
        yield base
    finally:
        server.terminate()
        server.communicate()


#: Runs in the stack: rows of the synthetic source holding the request fields (the served
#: models' source first), cut to those fields and encoded as JSON: images as base64 of their
#: ``.npy`` bytes, scaled up (nearest pixel) to the declared size (the synthetic source draws
#: them small), timestamps as ISO text. A field no source holds keeps the warm-up value
#: of ``services.scoring.warm_up_row``.
SAMPLE_ROWS = """
import base64, io, json
import numpy as np
import pandas as pd
from pipelines.stack_plan import load_plan
from pipelines.synthetic import generate
from services.scoring import warm_up_row
from services.serving_plan import ServingConfig

count = COUNT
plan, config = load_plan(), ServingConfig.load()
fields = [f.name for f in config.request_fields]
served = {plan.model(m.name).source for m in config.models}
sources = sorted(plan.sources, key=lambda s: s.name not in served)
frames = [generate(plan, source, max(count, 50), seed=5) for source in sources]
fallback = warm_up_row(config) or {}

def image(cell, field):
    pixels = np.load(io.BytesIO(bytes(cell)), allow_pickle=False)
    height, width = field.height or pixels.shape[0], field.width or pixels.shape[1]
    ys = np.arange(height) * pixels.shape[0] // height
    xs = np.arange(width) * pixels.shape[1] // width
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(pixels[ys][:, xs]), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

def plain(value, field):
    if field.type == "image":
        return image(value, field)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value

rows = []
for i in range(count):
    row = {}
    for field in config.request_fields:
        frame = next((f for f in frames if field.name in f.columns), None)
        if frame is None:
            row[field.name] = fallback[field.name]
        else:
            value = frame[field.name].iloc[i % len(frame)]
            row[field.name] = None if value is None or value is pd.NA else plain(value, field)
    rows.append(row)
print(json.dumps(rows))
"""


def sample_rows(stack: Path, count: int) -> list[dict[str, Any]]:
    """``count`` valid request rows of the stack's service (see :data:`SAMPLE_ROWS`)."""
    rows: list[dict[str, Any]] = run_json(stack, f"COUNT = {int(count)}\n{SAMPLE_ROWS}")
    return rows
