"""Serving a trained stack with ``bentoml serve`` for the BentoML functional tests.

This module holds no tests. A stack's service runs in the stack's environment (its own
``BENTOML_HOME``, outside the stack) with one worker on a free 127.0.0.1 port; requests are
plain ``urllib`` calls, so a test sees exactly the HTTP answers a client would. The server's
output goes to a file beside the stack, never to a pipe: a pipe nobody reads fills up (a
service logs a line per experiment exposure) and then blocks the server.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.functional.stack_env import stack_environment, stack_python


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_of(stack: Path, port: int) -> Path:
    """The file the stack's server on ``port`` writes its output to."""
    return stack.parent / f"{stack.name}-serve-{port}.log"


def output_of(stack: Path, base: str | None = None) -> str:
    """What the stack's server at URL ``base`` wrote so far (every server's, without one)."""
    pattern = f"{stack.name}-serve-{base.rsplit(':', 1)[1] if base else '*'}.log"
    return "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(stack.parent.glob(pattern))
    )


def serve(
    stack: Path, service: str, port: int, extra: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``bentoml serve service`` in the stack root, one worker, output to
    :func:`log_of` (read it with :func:`output_of`, by the server's URL)."""
    env = stack_environment(
        stack,
        {"MLOPSGEN_SERVICE_WORKERS": "1", "MLOPSGEN_SERVICE_TIMEOUT_S": "60", **(extra or {})},
    )
    command = [str(stack_python()), "-m", "bentoml", "serve", service]
    with log_of(stack, port).open("w", encoding="utf-8") as log:
        return subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=stack,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET."""
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def post(url: str, body: object) -> tuple[int, Any]:
    """Status and body of a JSON POST (the parsed JSON on success, the text otherwise)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_ready(server: subprocess.Popen[str], base: str, stack: Path) -> None:
    """Poll ``/readyz`` until it answers 200, or fail with the output if the server exits
    (a server that fails to start exits: it never hangs, so no clock bounds the wait)."""
    while server.poll() is None:
        try:
            if get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1.0)
    output = output_of(stack, base)
    pytest.fail(f"bentoml serve exited {server.returncode}:\n{output[-6000:]}")


@contextmanager
def served(stack: Path, service: str) -> Iterator[str]:
    """The base URL of the stack's running service; stopped on exit."""
    port = free_port()
    server = serve(stack, service, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(server, base, stack)
        yield base
    finally:
        server.terminate()
        server.wait()
