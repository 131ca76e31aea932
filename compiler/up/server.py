"""The stack's BentoML server as a child process: started, waited for, always stopped.

``bentoml serve`` runs with the stack's interpreter from the stack root, bound to the loopback
interface only, with BentoML's home (its model store) in the stack's runtime folder
``.mlopsgen/bentoml`` so models a stack exports never mix with another stack's or the user's
own store. The server starts in a session of its own: Ctrl-C in the terminal reaches
``mlopsgen`` alone, which then stops the whole process group (BentoML forks workers) and waits
for it, so no worker outlives the command. Its output goes to ``.mlopsgen/serve.log``, whose
end is shown when it fails to come up.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlopsgen.run.display import log_tail
from mlopsgen.run.runner import RUNTIME_DIR, run_environment
from mlopsgen.up.stack import UpError

__all__ = [
    "HOST",
    "SERVE_LOG",
    "ServeError",
    "Server",
    "bentoml_home",
    "check_port",
    "free_port",
    "local_workers",
    "serve_command",
    "serve_environment",
]

#: The only interface ``up`` binds: the service is for this machine's eyes.
HOST = "127.0.0.1"
SERVE_LOG = "serve.log"
READY_PATH = "/readyz"
POLL_SECONDS = 0.25
STOP_GRACE_SECONDS = 10.0
#: A local serve's request timeout. The plan's (four times the p95) is for a replica on a
#: node of its own; here the service shares the cores with its client and whatever else
#: runs, so one slow moment (a collection, another process) is a slow answer the latency
#: table shows, not a 504.
LOCAL_TIMEOUT_SECONDS = 10.0
#: What BentoML logs when a worker raises while the service is created (then it retries).
STARTUP_FAILED = "Application startup failed"


class ServeError(UpError):
    """The server did not start, did not become ready, or died (exit code 4)."""


def free_port(host: str = HOST) -> int:
    """A port nothing listens on now, chosen by the OS (another process may still take it
    before the server binds it: ``bentoml serve`` then fails and says so)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_port(port: int, host: str = HOST) -> int:
    """``port`` if it can be bound on ``host``.

    Raises:
        ServeError: something listens on it already, or it is not a port (exit code 2: the
            command line asks for what cannot be).
    """
    if not 0 < port < 65536:
        raise ServeError(
            f"--port {port} is not a TCP port", "choose 1..65535, or omit --port", exit_code=2
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}",
                "choose another --port, or omit it to take a free one",
                exit_code=2,
            ) from None
    return port


def bentoml_home(stack: Path) -> Path:
    """BentoML's store for this stack: inside its runtime folder, which a Bento never packs."""
    return stack.resolve() / RUNTIME_DIR / "bentoml"


def local_workers(planned: int | None, cores: int | None = None) -> int | None:
    """Workers for a local serve: the Plan's per-replica count, at most this machine's cores.

    A replica is sized for its node (the Plan's CPU request); on a laptop, more worker
    processes than cores would only make them wait for each other (and start slower, each
    loading every model). None when the Plan gives no count.
    """
    if planned is None:
        return None
    available = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, min(planned, available))


def serve_environment(stack: Path, workers: int | None = None) -> dict[str, str]:
    """The run's environment (offline, quiet, state in the stack) plus BentoML's home.

    ``workers`` sets the service's worker count (``MLOPSGEN_SERVICE_WORKERS``) for this serve.
    The request timeout is :data:`LOCAL_TIMEOUT_SECONDS` (``MLOPSGEN_SERVICE_TIMEOUT_S``).
    """
    env = run_environment(stack.resolve())
    env["BENTOML_HOME"] = str(bentoml_home(stack))
    env["MLOPSGEN_SERVICE_TIMEOUT_S"] = f"{LOCAL_TIMEOUT_SECONDS:g}"
    if workers is not None:
        env["MLOPSGEN_SERVICE_WORKERS"] = str(workers)
    return env


def serve_command(python: Path, import_path: str, port: int) -> list[str]:
    """``bentoml serve`` of the service at ``import_path`` on the loopback interface."""
    return [str(python), "-m", "bentoml", "serve", import_path, "--host", HOST, "--port", str(port)]


class Server:
    """One ``bentoml serve`` process group; a context manager that always stops it."""

    def __init__(
        self, command: Sequence[str], cwd: Path, env: Mapping[str, str], port: int, log: Path
    ):
        self.command = list(command)
        self.cwd = cwd
        self.env = dict(env)
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the server answers."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Start the server in a session of its own, its output to the log.

        Raises:
            ServeError: the interpreter cannot be started.
        """
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as output:
            try:
                self.process = subprocess.Popen(
                    self.command,
                    cwd=self.cwd,
                    env=self.env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ServeError(f"cannot start {self.command[0]}: {exc.strerror or exc}") from None

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process is not None and self.process.poll() is None

    def failure(self, what: str) -> ServeError:
        """An error saying ``what`` went wrong, with the end of the server's log."""
        tail = log_tail(self.log, 20)
        shown = f"\n--- the end of {self.log}:\n{tail}" if tail else ""
        return ServeError(
            f"{what}{shown}", f"the whole server log is {self.log}; fix the service and retry"
        )

    def wait_ready(self, timeout: float) -> float:
        """Poll ``/readyz`` until it answers 200; the seconds it took.

        Raises:
            ServeError: the server exited, or was not ready within ``timeout`` seconds.
        """
        started = time.monotonic()
        while True:
            if not self.alive():
                code = self.process.returncode if self.process is not None else None
                raise self.failure(f"bentoml serve exited with {code} before it was ready")
            if _ready(self.port):
                return time.monotonic() - started
            if _startup_failed(self.log):
                raise self.failure(
                    "the service failed while loading its models (BentoML would restart it "
                    "without end)"
                )
            if time.monotonic() - started > timeout:
                raise self.failure(f"the service was not ready within {timeout:g} s")
            time.sleep(POLL_SECONDS)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> int | None:
        """Stop the process group: SIGTERM, then SIGKILL after ``grace`` seconds; its exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        # Workers left behind by a server that died on its own go with their group.
        _signal_group(process.pid, signal.SIGKILL)
        return process.returncode

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _startup_failed(log: Path) -> bool:
    """Whether a worker's start-up failed: BentoML logs it and starts the worker again, so the
    server never exits and never becomes ready."""
    try:
        return STARTUP_FAILED in log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        connection.request("GET", READY_PATH)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
