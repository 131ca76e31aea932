"""Run a stack's training pipelines: build if stale, get the environment, start the process.

The pipelines run as ``python -m pipelines.run [--pipeline NAME] [--rows N]`` in the stack
directory, with the stack's interpreter, ZenML and BentoML offline and quiet and their state
inside the stack (``.zenml/``), never in the user's global configuration. Their output goes
to ``.mlopsgen/run.log``; their progress comes back through the events file, handed to the
caller as it arrives.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.build import BuildReport, build_stack
from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.run.events import Event, EventReader
from mlopsgen.run.result import EXIT_FAILED, RESULT_FILE, RunResult, read_result
from mlopsgen.stackenv import EnvResult, ensure_env, read_stack_pins

__all__ = ["RunError", "RunOptions", "RunOutcome", "run_environment", "run_stack"]

RUNTIME_DIR = ".mlopsgen"
EVENTS_FILE = "events.jsonl"
LOG_FILE = "run.log"
POLL_SECONDS = 0.25


class RunError(MlopsgenError):
    """The run could not start or ended without a result (exit code 4)."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message)


@dataclass(frozen=True)
class RunOptions:
    """What to run, and how: the command line of ``mlopsgen run``."""

    spec: Path
    out: Path | None = None
    pipeline: str | None = None
    rows: int | None = None
    python: Path | None = None
    """An existing interpreter to run with instead of the cached environment."""


@dataclass(frozen=True)
class RunOutcome:
    """What happened: the build, the environment, the result (or why there is none)."""

    build: BuildReport
    stack: Path
    python: Path
    env: EnvResult | None
    returncode: int
    result: RunResult | None
    problem: str | None
    log: Path

    @property
    def exit_code(self) -> int:
        """The run's result when it wrote one that matches its exit, else 4 (failed)."""
        if self.result is None or self.problem is not None:
            return EXIT_FAILED
        return self.result.exit_code


def run_environment(stack: Path, events: Path | None = None) -> dict[str, str]:
    """The variables the pipelines run with: offline, quiet, state kept inside ``stack``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "BENTOML_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        ZENML_ANALYTICS_OPT_IN="false",
        ZENML_CONFIG_PATH=str(stack / ".zenml"),
        ZENML_LOGGING_VERBOSITY="WARN",
        ZENML_ENABLE_RICH_TRACEBACK="false",
        BENTOML_DO_NOT_TRACK="True",
        PYTHONUNBUFFERED="1",
    )
    if events is not None:
        env["MLOPSGEN_EVENTS"] = str(events)
    return env


def run_stack(
    options: RunOptions,
    *,
    on_build: Callable[[BuildReport], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> RunOutcome:
    """Build, prepare and run; report along the way through the callbacks.

    Raises:
        SpecError: the spec is invalid (exit 1).
        OutputError: the stack cannot be written (a hand edit: exit 1, else 2).
        EnvBuildError, RunError: the environment cannot be built, or the run cannot start.
    """
    build = build_stack(options.spec, options.out)
    if on_build is not None:
        on_build(build)
    stack = build.out_dir
    if not (stack / "pipelines" / "run.py").is_file():
        raise RunError(
            f"{stack} has no training pipelines (pipelines/run.py)",
            "this version of mlopsgen generates none for this spec",
        )
    env: EnvResult | None = None
    if options.python is not None:
        python = options.python.absolute()  # not resolve(): a venv's python is a symlink
        if not python.exists():
            raise RunError(f"no interpreter at {python}", "name a python executable, or omit it")
    else:
        env = ensure_env(read_stack_pins(stack), status=on_status)
        python = env.python
    runtime = stack / RUNTIME_DIR
    runtime.mkdir(exist_ok=True)
    # absolute: the pipelines run from the stack root, where a relative --out means nothing
    events, log = (runtime / EVENTS_FILE).absolute(), runtime / LOG_FILE
    for stale in (events, stack / RESULT_FILE):  # never show a previous run's progress or result
        stale.unlink(missing_ok=True)
    events.touch()
    command = [str(python), "-m", "pipelines.run"]
    if options.pipeline is not None:
        command += ["--pipeline", options.pipeline]
    if options.rows is not None:
        command += ["--rows", str(options.rows)]
    if on_status is not None:
        on_status(f"running {' '.join(command[2:])} in {stack} (output: {log})")
    returncode = _follow(command, stack, run_environment(stack.resolve(), events), log, on_event)
    result, problem = _result(stack, returncode)
    return RunOutcome(build, stack, python, env, returncode, result, problem, log)


def _follow(
    command: list[str],
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    on_event: Callable[[Event], None] | None,
) -> int:
    """Run ``command`` to its end, handing each event to ``on_event`` as it is written."""
    reader = EventReader(Path(env["MLOPSGEN_EVENTS"]))
    with log.open("wb") as output:
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=dict(env),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise RunError(f"cannot start {command[0]}: {exc.strerror or exc}") from None
        try:
            while True:
                try:
                    returncode = process.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    _deliver(reader, on_event)
        except BaseException:  # Ctrl-C: stop the pipelines too, then let the caller exit
            process.terminate()
            process.wait()
            raise
    _deliver(reader, on_event)
    return returncode


def _deliver(reader: EventReader, on_event: Callable[[Event], None] | None) -> None:
    for event in reader.poll():
        if on_event is not None:
            on_event(event)


def _result(stack: Path, returncode: int) -> tuple[RunResult | None, str | None]:
    """The run's result, and what is wrong when its exit code and result disagree."""
    try:
        result = read_result(stack)
    except ValueError as exc:
        return None, f"{exc} (pipelines.run exited with {returncode})"
    if returncode != result.exit_code:
        return result, (
            f"pipelines.run exited with {returncode} but {RESULT_FILE} says {result.status}"
        )
    return result, None
