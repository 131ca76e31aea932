"""The steps of ``up`` around the server: what to train or batch-score, export, samples.

Training is ``mlopsgen run``'s own machinery (:func:`mlopsgen.run.run_stack`, with the
options :meth:`UpOptions.run_options` gives); the export and the samples are the stack's
modules run by its interpreter from the stack root, with the same environment as the server
(BentoML's store in ``.mlopsgen/bentoml``), so the server finds exactly the models the export
saved.
"""

from __future__ import annotations

import json
import keyword
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.run import RunOptions
from mlopsgen.run.display import log_tail
from mlopsgen.run.result import EXIT_KEPT_OUT, RESULT_FILE
from mlopsgen.run.runner import RUNTIME_DIR
from mlopsgen.up.server import serve_environment
from mlopsgen.up.stack import UpError

__all__ = [
    "EXPORT_LOG",
    "LATENCY_REQUESTS",
    "READY_TIMEOUT_SECONDS",
    "SAMPLE_BODIES",
    "STREAMED_ANSWERS",
    "UpOptions",
    "batch_pipelines",
    "export_models",
    "sample_bodies",
]

EXPORT_LOG = "export.log"
#: Request bodies written for the check (one row each); the latency check cycles through them.
SAMPLE_BODIES = 20
#: Sequential requests the latency check sends: enough for a p95 that means something.
LATENCY_REQUESTS = 200
#: Streamed answers timed on a language service (each is a whole generation, not a row).
STREAMED_ANSWERS = 20
#: Seconds the service may take to load its models and answer ``/readyz``.
READY_TIMEOUT_SECONDS = 180.0
#: Seconds the export and the samples may take: both are quick; a hang is a bug to report.
STEP_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class UpOptions:
    """The command line of ``mlopsgen up``."""

    spec: Path
    out: Path | None = None
    once: bool = False
    port: int | None = None
    rows: int | None = None
    python: Path | None = None

    def run_options(self, pipeline: str | None = None) -> RunOptions:
        """The options of the ``mlopsgen run`` that trains (or batch-scores) the stack."""
        return RunOptions(self.spec, self.out, pipeline, self.rows, self.python)


def batch_pipelines(stack: Path) -> list[str]:
    """The stack's batch-scoring pipelines, ``batch_<model>``, one per module under
    ``pipelines/batch/`` (a keyword-named model's module has a trailing ``_``)."""
    names = []
    for module in sorted((stack / "pipelines" / "batch").glob("*.py")):
        stem = module.stem
        if stem == "__init__":
            continue
        model = stem[:-1] if stem.endswith("_") and keyword.iskeyword(stem[:-1]) else stem
        names.append(f"batch_{model}")
    return names


def _run(command: list[str], stack: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            cwd=stack,
            env=serve_environment(stack),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
    except OSError as exc:
        raise UpError(f"cannot start {command[0]}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise UpError(
            f"{' '.join(command[1:])} did not finish within {STEP_TIMEOUT_SECONDS:g} s",
            "run it by hand in the stack to see where it stops",
        ) from None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def export_models(stack: Path, python: Path) -> list[str]:
    """Save the production models into the stack's BentoML store; one line per model.

    Raises:
        UpError: the stack has no service; no production version of a model (exit 3: a gate
            kept it out); or the export failed (exit 4, with the end of its log).
    """
    if not (stack / "services" / "export.py").is_file():
        raise UpError(
            f"{stack} has no model export (services/export.py)",
            "this version of mlopsgen generates no BentoML service for this spec",
        )
    done = _run([str(python), "-m", "services.export"], stack)
    log = stack / RUNTIME_DIR / EXPORT_LOG
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode == EXIT_KEPT_OUT:
        reason = _last_line(done.stderr) or _last_line(done.stdout) or "no production model"
        raise UpError(
            f"no promoted model to serve: {reason}",
            f"a gate kept the model out of production; the run's table above (and "
            f"{RESULT_FILE}) says which gate failed",
            exit_code=EXIT_KEPT_OUT,
        )
    if done.returncode != 0:
        raise UpError(
            f"python -m services.export exited with {done.returncode}\n"
            f"--- the end of {log}:\n{log_tail(log, 20)}",
            f"the whole output is in {log}",
        )
    return [line for line in done.stdout.splitlines() if line.strip()]


def sample_bodies(
    stack: Path, python: Path, count: int, *, seed: int = 0, rows: int | None = None
) -> list[dict[str, Any]]:
    """``count`` request bodies from the stack's ``python -m services.samples``.

    Raises:
        UpError: the samples module failed or printed something that is not a body.
    """
    command = [str(python), "-m", "services.samples", "--count", str(count), "--seed", str(seed)]
    if rows is not None:
        command += ["--train-rows", str(rows)]
    done = _run(command, stack)
    if done.returncode != 0:
        raise UpError(
            f"python -m services.samples exited with {done.returncode}: "
            f"{_last_line(done.stderr) or 'no message'}",
            "run it in the stack to see the whole output",
        )
    bodies = []
    for line in done.stdout.splitlines():
        try:
            body = json.loads(line)
        except ValueError:
            body = None
        # a classic service's body holds rows; a language service's, chat messages
        if not isinstance(body, dict) or not any(
            isinstance(body.get(key), list) for key in ("rows", "messages")
        ):
            raise UpError(
                f"python -m services.samples printed {line[:200]!r}, not a request body",
                'each line must be one JSON object {"rows": [...]} (a language service\'s: '
                '{"messages": [...]})',
            )
        bodies.append(body)
    if len(bodies) != count:
        raise UpError(f"python -m services.samples printed {len(bodies)} bodies, not {count}")
    return bodies
